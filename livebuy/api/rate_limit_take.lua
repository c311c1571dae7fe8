-- Take one request from a client's token bucket: refill for the time since the last take, then
-- allow (and spend a token) or refuse with the wait until the next token. One key, one step, so
-- every gateway process shares the limit. Time is Redis's own clock.
local bucket_key = KEYS[1]
local per_minute = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local refill_ms = 60000 / per_minute

local bucket = redis.call('HMGET', bucket_key, 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local last = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) / refill_ms)
if tokens < 1 then
  return {0, math.ceil((1 - tokens) * refill_ms)}
end
redis.call('HSET', bucket_key, 'tokens', tostring(tokens - 1), 'at', tostring(now))
-- A full bucket is the same as no bucket: let Redis forget it once it would have refilled.
redis.call('PEXPIRE', bucket_key, math.ceil(burst * refill_ms) + 1000)
return {1, 0}
