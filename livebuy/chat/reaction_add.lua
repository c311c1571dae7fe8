-- Count one reaction: ban check, the session's per-second cap, then the show's pending and total
-- counters and the per-minute analytics, in one atomic step shared by every gateway process.
local rate_key = KEYS[1]
local ban_key = KEYS[2]
local pending_key = KEYS[3]
local totals_key = KEYS[4]
local per_minute_key = KEYS[5]
local kind = ARGV[1]
local per_second = tonumber(ARGV[2])
local analytics_ttl_ms = ARGV[3]

local banned = redis.call('PTTL', ban_key)
if banned ~= -2 then
  return {'banned', math.max(banned, 0)}
end

local sent = redis.call('INCR', rate_key)
if sent == 1 then
  redis.call('PEXPIRE', rate_key, 1000)
end
if sent > per_second then
  return {'rate_limited', math.max(redis.call('PTTL', rate_key), 1)}
end

redis.call('HINCRBY', pending_key, kind, 1)
redis.call('HINCRBY', totals_key, kind, 1)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('HINCRBY', per_minute_key, tostring(now - now % 60000), 1)
redis.call('PEXPIRE', per_minute_key, analytics_ttl_ms)
return {'ok', 0}
