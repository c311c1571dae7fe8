-- Give a lease up at shutdown, only if the caller still holds it.
local lease_key = KEYS[1]
local owner = ARGV[1]

if redis.call('GET', lease_key) == owner then
  return redis.call('DEL', lease_key)
end
return 0
