-- Count one viewer in one step of a product's funnel (a card view or an add to bag): the
-- HyperLogLog keeps each member once, the products set says which products have a funnel.
local products_key = KEYS[1]
local counter_key = KEYS[2]
local product_id = ARGV[1]
local member = ARGV[2]
local ttl_ms = tonumber(ARGV[3])

redis.call('SADD', products_key, product_id)
local added = redis.call('PFADD', counter_key, member)
redis.call('PEXPIRE', products_key, ttl_ms)
redis.call('PEXPIRE', counter_key, ttl_ms)
return added
