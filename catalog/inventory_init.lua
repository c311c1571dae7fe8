local inventory_key = KEYS[1]
local initial_stock = ARGV[1]

-- Creates a SKU's stock counters unless they exist, so reloading the catalog mid-show
-- never resets what was already reserved or sold. Returns 1 if created, 0 if kept.
if redis.call('EXISTS', inventory_key) == 1 then
  return 0
end
redis.call('HSET', inventory_key,
  'available', initial_stock,
  'reserved', 0,
  'sold', 0,
  'initial', initial_stock,
  'restocked', 0)
return 1
