-- Count one session's conversion step (bagged, paid) in each A/B test it was exposed to, once
-- per session and step, under the variant it was shown. A session never exposed to an
-- experiment (it bought without the card being revealed to it) converts in none.
local exposures_key = KEYS[1]
local counts_key = KEYS[2]
local step = ARGV[1]
local session = ARGV[2]
local ttl_ms = tonumber(ARGV[3])

local counted = 0
for index = 4, #ARGV do
  local experiment_id = ARGV[index]
  local variant = redis.call('HGET', exposures_key, experiment_id .. '|' .. session)
  if variant then
    local once = experiment_id .. '|' .. session .. '|' .. step
    if redis.call('HSETNX', exposures_key, once, '1') == 1 then
      redis.call('HINCRBY', counts_key, experiment_id .. '|' .. variant .. '|' .. step, 1)
      counted = counted + 1
    end
  end
end
if counted > 0 then
  redis.call('PEXPIRE', exposures_key, ttl_ms)
  redis.call('PEXPIRE', counts_key, ttl_ms)
end
return counted
