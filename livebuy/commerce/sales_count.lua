-- Count a paid order in its show's sales (the show's slot), or take it back out: exactly once
-- per order id, whatever retries or sweeps repeat it. 'count' adds the order's per-product units
-- and revenue (worked out when it was paid) and its recent-sales entries; 'uncount' subtracts
-- exactly what was counted.
local sales_key = KEYS[1]
local recent_sales_key = KEYS[2]
local counted_key = KEYS[3]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local order_id = ARGV[3]
local counted = ARGV[4]
local currency = ARGV[5]
local recent_keep_ms = tonumber(ARGV[6])

local state = redis.call('GET', counted_key)
if action == 'count' then
  if state then
    return {'noop', state}
  end
  for _, product in ipairs(cjson.decode(counted)) do
    local id = product['product_id']
    redis.call('HINCRBY', sales_key, 'units:' .. id, product['units'])
    redis.call('HINCRBY', sales_key, 'revenue:' .. id, product['revenue'])
    redis.call('HINCRBY', sales_key, 'orders:' .. id, 1)
    redis.call('HSET', sales_key, 'currency:' .. id, currency)
    -- "N bought in the last minute" needs when each unit sold, which the running totals above
    -- cannot tell: one member per order and product, scored by the paid time.
    redis.call('ZADD', recent_sales_key, now, order_id .. '|' .. id .. '|' .. product['units'])
  end
  redis.call('ZREMRANGEBYSCORE', recent_sales_key, '-inf', now - recent_keep_ms)
  redis.call('PEXPIRE', recent_sales_key, recent_keep_ms)
  redis.call('HINCRBY', sales_key, 'orders', 1)
  redis.call('SET', counted_key, 'counted')
  return {'ok', 'counted'}
end
-- Taken out before it was counted (a cancel racing the pay's count): never count it later.
if state ~= 'counted' then
  redis.call('SET', counted_key, 'uncounted')
  return {'noop', state or ''}
end
for _, product in ipairs(cjson.decode(counted)) do
  local id = product['product_id']
  redis.call('HINCRBY', sales_key, 'units:' .. id, -product['units'])
  redis.call('HINCRBY', sales_key, 'revenue:' .. id, -product['revenue'])
  redis.call('HINCRBY', sales_key, 'orders:' .. id, -1)
end
redis.call('HINCRBY', sales_key, 'orders', -1)
redis.call('SET', counted_key, 'uncounted')
return {'ok', 'uncounted'}
