-- Take or renew a lease that elects one process among all gateway processes (show player, batchers).
-- Returns 1 when the caller holds the lease after this call.
local lease_key = KEYS[1]
local owner = ARGV[1]
local ttl_ms = ARGV[2]

local holder = redis.call('GET', lease_key)
if holder == owner then
  redis.call('PEXPIRE', lease_key, ttl_ms)
  return 1
end
if holder == false then
  redis.call('SET', lease_key, owner, 'PX', ttl_ms)
  return 1
end
return 0
