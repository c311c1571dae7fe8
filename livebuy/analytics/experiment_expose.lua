-- Count one session as exposed to an A/B test's card, once: the first variant it was shown is
-- kept (sticky even if the run sheet's variants change meanwhile) and its conversions are
-- credited to that variant. A page that drew another variant than the server assigns is counted
-- under the server's, and as mismatched.
local exposures_key = KEYS[1]
local counts_key = KEYS[2]
local experiment_id = ARGV[1]
local session = ARGV[2]
local variant = ARGV[3]
local claimed = ARGV[4]
local ttl_ms = tonumber(ARGV[5])

local added = redis.call('HSETNX', exposures_key, experiment_id .. '|' .. session, variant)
if added == 1 then
  redis.call('HINCRBY', counts_key, experiment_id .. '|' .. variant .. '|exposed', 1)
  if claimed ~= '' and claimed ~= variant then
    redis.call('HINCRBY', counts_key, experiment_id .. '|' .. variant .. '|mismatched', 1)
  end
end
redis.call('PEXPIRE', exposures_key, ttl_ms)
redis.call('PEXPIRE', counts_key, ttl_ms)
return added
