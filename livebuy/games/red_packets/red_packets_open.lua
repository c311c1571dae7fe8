-- Open one run of a rain with its pre-split packets, once: whoever opens it first wins, a racing
-- open (another process, a retried request) finds it open and changes nothing.
local rain_key = KEYS[1]
local packets_key = KEYS[2]
local currency = ARGV[1]
local ends_at = ARGV[2]
local ttl_ms = tonumber(ARGV[3])
local count = #ARGV - 3

if redis.call('EXISTS', rain_key) == 1 then
  return 0
end
redis.call('HSET', rain_key, 'count', count, 'currency', currency, 'ends_at', ends_at,
  'granted', 0, 'granted_amount', 0)
-- RPUSH in chunks: Lua's unpack has a limit on how many values it spreads.
for first = 4, #ARGV, 1000 do
  redis.call('RPUSH', packets_key, unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
redis.call('PEXPIRE', rain_key, ttl_ms)
redis.call('PEXPIRE', packets_key, ttl_ms)
return 1
