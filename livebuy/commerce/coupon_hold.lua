-- One order's use of a coupon (the coupon's slot): 'reserve' checks the coupon's window,
-- currency, minimum spend and uses left, takes one use and answers the discount; 'release'
-- gives the use back. Idempotent by order id through the hold; a release before any reserve
-- leaves a tombstone that refuses a late reserve. Loaded after hold_lib.lua (hold_release,
-- hold_replay).
local coupon_key = KEYS[1]
local coupon_uses_key = KEYS[2]
local hold_key = KEYS[3]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local customer = ARGV[3]
local currency = ARGV[4]
local subtotal = tonumber(ARGV[5])
local tombstone_ms = tonumber(ARGV[6])

local held = redis.call('GET', hold_key)
-- 'discard': a release by the request that reserved, which leaves no trace (hold_lib.lua).
if action == 'release' or action == 'discard' then
  return hold_release(hold_key, held, action, tombstone_ms, function()
    redis.call('HINCRBY', coupon_key, 'used', -1)
    redis.call('HINCRBY', coupon_uses_key, customer, -1)
  end)
end
local replay = hold_replay(held, -1)
if replay then
  return replay
end
local function refuse(detail)
  return {'error', 'coupon_rejected', -1, detail}
end
local c = redis.call('HMGET', coupon_key, 'kind', 'value', 'currency', 'min_spend',
  'starts_at', 'ends_at', 'max_uses', 'per_customer', 'used')
if not c[1] then
  return refuse('unknown coupon')
end
if now < tonumber(c[5]) or (c[6] ~= '' and now >= tonumber(c[6])) then
  return refuse('coupon is not valid now')
end
if c[3] ~= '' and c[3] ~= currency then
  return refuse('coupon is for ' .. c[3])
end
if subtotal < tonumber(c[4]) then
  return refuse('minimum spend ' .. c[4])
end
if c[7] ~= '' and tonumber(c[9] or '0') >= tonumber(c[7]) then
  return refuse('coupon used up')
end
if c[8] ~= '' and tonumber(redis.call('HGET', coupon_uses_key, customer) or '0') >= tonumber(c[8]) then
  return refuse('coupon already used')
end
local discount
if c[1] == 'percent' then
  discount = math.floor(subtotal * tonumber(c[2]) / 100)
else
  discount = math.min(tonumber(c[2]), subtotal)
end
redis.call('HINCRBY', coupon_key, 'used', 1)
redis.call('HINCRBY', coupon_uses_key, customer, 1)
redis.call('SET', hold_key, tostring(discount))
return {'ok', tostring(discount)}
