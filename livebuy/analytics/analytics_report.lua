-- One gateway process reports how many viewers of a show it has, in one atomic step: its count
-- and report time are written, processes that stopped reporting (crashed) are dropped, and the
-- total across the processes still reporting raises the minute's peak. Time is Redis's clock, so
-- processes with skewed clocks agree on who is stale.
local counts_key = KEYS[1]
local seen_key = KEYS[2]
local peaks_key = KEYS[3]
local process_id = ARGV[1]
local count = tonumber(ARGV[2])
local stale_ms = tonumber(ARGV[3])
local peaks_ttl_ms = ARGV[4]

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

if count > 0 then
  redis.call('HSET', counts_key, process_id, count)
  redis.call('ZADD', seen_key, now, process_id)
else
  redis.call('HDEL', counts_key, process_id)
  redis.call('ZREM', seen_key, process_id)
end

local stale = redis.call('ZRANGEBYSCORE', seen_key, '-inf', '(' .. (now - stale_ms))
if #stale > 0 then
  redis.call('HDEL', counts_key, unpack(stale))
  redis.call('ZREM', seen_key, unpack(stale))
end

local total = 0
for _, value in ipairs(redis.call('HVALS', counts_key)) do
  total = total + tonumber(value)
end
-- Both keys vanish by themselves once every process has stopped reporting the show.
redis.call('PEXPIRE', counts_key, stale_ms)
redis.call('PEXPIRE', seen_key, stale_ms)

local minute = tostring(now - now % 60000)
if total > tonumber(redis.call('HGET', peaks_key, minute) or '0') then
  redis.call('HSET', peaks_key, minute, total)
end
if redis.call('EXISTS', peaks_key) == 1 then
  redis.call('PEXPIRE', peaks_key, peaks_ttl_ms)
end
return total
