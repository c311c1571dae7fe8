-- Close one run of a poll for good: no vote counts after this step, so the counts it returns are
-- exactly the final result (a repeated call returns the same counts).
local counts_key = KEYS[1]
local correct_key = KEYS[2]
local options = tonumber(ARGV[1])
local ttl_ms = ARGV[2]

redis.call('HSET', counts_key, 'final', 1)
redis.call('PEXPIRE', counts_key, ttl_ms)
local counts = {}
for option = 0, options - 1 do
  counts[option + 1] = tonumber(redis.call('HGET', counts_key, tostring(option)) or '0')
end
local total = tonumber(redis.call('HGET', counts_key, 'total') or '0')
return {counts, total, redis.call('SCARD', correct_key)}
