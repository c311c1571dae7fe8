-- The show's paid units per product in the trailing window: drop the members that left the
-- window, then sum what is left per product. One step, so a unit is never counted after it left.
local recent_key = KEYS[1]
local now = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])

redis.call('ZREMRANGEBYSCORE', recent_key, '-inf', now - window_ms)
local counts, products = {}, {}
-- Members paid "in the future" of this clock (another process's clock ahead) count already.
for _, member in ipairs(redis.call('ZRANGE', recent_key, 0, -1)) do
  local _, _, product_id, units = string.find(member, '^[^|]*|(.*)|(%d+)$')
  if product_id then
    if not counts[product_id] then
      counts[product_id] = 0
      table.insert(products, product_id)
    end
    counts[product_id] = counts[product_id] + tonumber(units)
  end
end
local reply = {}
for _, product_id in ipairs(products) do
  table.insert(reply, product_id)
  table.insert(reply, counts[product_id])
end
return reply
