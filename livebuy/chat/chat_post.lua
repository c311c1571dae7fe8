-- Post one chat message: ban and mute, slow mode and the sender's token bucket are checked and
-- the message stored in one atomic step, so posts on every gateway process share one limit.
-- Time is Redis's own clock, so processes with skewed clocks still agree.
local bucket_key = KEYS[1]
local mute_key = KEYS[2]
local ban_key = KEYS[3]
local slow_mode_key = KEYS[4]
local slow_wait_key = KEYS[5]
local messages_key = KEYS[6]
local per_minute_key = KEYS[7]
local burst = tonumber(ARGV[1])
local refill_ms = tonumber(ARGV[2])
local maxlen = ARGV[3]
local analytics_ttl_ms = ARGV[4]
local handle = ARGV[5]
local display_name = ARGV[6]
local role = ARGV[7]
local text = ARGV[8]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- PTTL: -2 absent, -1 no expiry (treated as restricted, wait unknown: 0).
local banned = redis.call('PTTL', ban_key)
if banned ~= -2 then
  return {'banned', math.max(banned, 0)}
end
local muted = redis.call('PTTL', mute_key)
if muted ~= -2 then
  return {'muted', math.max(muted, 0)}
end

local slow_ms = 0
if role == 'viewer' then
  slow_ms = tonumber(redis.call('GET', slow_mode_key) or '0')
  if slow_ms > 0 then
    local wait = redis.call('PTTL', slow_wait_key)
    if wait > 0 then
      return {'slow_mode', wait}
    end
  end
end

local bucket = redis.call('HMGET', bucket_key, 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local last = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) / refill_ms)
if tokens < 1 then
  return {'rate_limited', math.ceil((1 - tokens) * refill_ms)}
end
redis.call('HSET', bucket_key, 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('PEXPIRE', bucket_key, burst * refill_ms + 1000)

if slow_ms > 0 then
  redis.call('SET', slow_wait_key, '1', 'PX', slow_ms)
end
local id = redis.call('XADD', messages_key, 'MAXLEN', '~', maxlen, '*',
  'handle', handle, 'name', display_name, 'role', role, 'text', text, 'at', tostring(now))
redis.call('HINCRBY', per_minute_key, tostring(now - now % 60000), 1)
redis.call('PEXPIRE', per_minute_key, analytics_ttl_ms)
return {'ok', id, tostring(now)}
