-- Publish one finished segment of a show's live video, only while the caller holds the video lease
-- (a fenced-out encoder that has not noticed yet writes nothing). Returns the segment's media
-- sequence number, or 0 when the caller does not hold the lease.
local lease_key = KEYS[1]
local sequence_key = KEYS[2]
local entries_key = KEYS[3]
local segments_key = KEYS[4]
local owner = ARGV[1]
local generation = ARGV[2]
local duration = ARGV[3]
local date_ms = ARGV[4]
local data = ARGV[5]
local kept = tonumber(ARGV[6])
local ttl_ms = ARGV[7]

if redis.call('GET', lease_key) ~= owner then
  return 0
end

-- The counter has no TTL: numbers go on rising across encoders, restarts and idle gaps.
local number = redis.call('INCR', sequence_key)
local discontinuity = 0
local discontinuities = 0
local last = redis.call('LINDEX', entries_key, -1)
if last then
  local previous = cjson.decode(last)
  discontinuities = previous.c
  if previous.g ~= generation then
    discontinuity = 1
    discontinuities = discontinuities + 1
  end
end

redis.call('RPUSH', entries_key, cjson.encode({
  n = number, g = generation, d = duration, t = date_ms, x = discontinuity, c = discontinuities
}))
redis.call('HSET', segments_key, number, data)

local excess = redis.call('LLEN', entries_key) - kept
if excess > 0 then
  for _, dropped in ipairs(redis.call('LPOP', entries_key, excess)) do
    redis.call('HDEL', segments_key, tostring(cjson.decode(dropped).n))
  end
end
-- A stream nobody publishes to any more (every encoder gone) disappears by itself.
redis.call('PEXPIRE', entries_key, ttl_ms)
redis.call('PEXPIRE', segments_key, ttl_ms)
return number
