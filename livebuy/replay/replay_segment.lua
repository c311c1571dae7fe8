-- Copy one live segment into a run's recording (Redis to Redis: the bytes never leave the
-- server). Idempotent: a segment the run already holds is skipped. A new encoder run's first
-- segment in the recording is marked as a discontinuity, as in the live playlist.
-- Returns 1 when copied, 0 when already there, -1 when the live segment is gone.
local live_segments_key = KEYS[1]
local last_key = KEYS[2]
local entries_key = KEYS[3]
local segments_key = KEYS[4]
local drop_entries_key = KEYS[5]
local drop_segments_key = KEYS[6]
local number = tonumber(ARGV[1])
local generation = ARGV[2]
local duration = ARGV[3]
local date_ms = ARGV[4]
local ttl_ms = ARGV[5]

local last = tonumber(redis.call('GET', last_key) or '0')
if number > last then
  redis.call('SET', last_key, number, 'PX', ttl_ms)
end
local discontinuity = 0
local discontinuities = 0
local tail = redis.call('LINDEX', entries_key, -1)
if tail then
  local previous = cjson.decode(tail)
  if previous.n >= number then
    return 0
  end
  discontinuities = previous.c
  if previous.g ~= generation then
    discontinuity = 1
    discontinuities = discontinuities + 1
  end
end
local data = redis.call('HGET', live_segments_key, number)
if not data then
  return -1
end
redis.call('DEL', drop_entries_key, drop_segments_key)
redis.call('RPUSH', entries_key, cjson.encode({
  n = number, g = generation, d = duration, t = date_ms, x = discontinuity,
  c = discontinuities
}))
redis.call('HSET', segments_key, number, data)
redis.call('PEXPIRE', entries_key, ttl_ms)
redis.call('PEXPIRE', segments_key, ttl_ms)
return 1
