-- Add units to a SKU: available and restocked grow together, so the invariant
-- available + reserved + sold == initial + restocked keeps holding.
local inventory_key = KEYS[1]
local dirty_key = KEYS[2]
local units = tonumber(ARGV[1])
local product_id = ARGV[2]

if redis.call('EXISTS', inventory_key) == 0 then
  return -1
end
redis.call('HINCRBY', inventory_key, 'restocked', units)
local available = redis.call('HINCRBY', inventory_key, 'available', units)
redis.call('SADD', dirty_key, product_id)
return available
