-- Count one session in one step of the show's funnel, in the show's total and under the cue on
-- air: two HyperLogLogs (each session once, whatever it repeats) and the set of cues counted.
local cues_key = KEYS[1]
local show_step_key = KEYS[2]
local cue_step_key = KEYS[3]
local cue = ARGV[1]
local member = ARGV[2]
local ttl_ms = tonumber(ARGV[3])

redis.call('SADD', cues_key, cue)
redis.call('PFADD', show_step_key, member)
local added = redis.call('PFADD', cue_step_key, member)
redis.call('PEXPIRE', cues_key, ttl_ms)
redis.call('PEXPIRE', show_step_key, ttl_ms)
redis.call('PEXPIRE', cue_step_key, ttl_ms)
return added
