-- Release an order's units in one atomic step: a cancel (reserved or sold units go back to
-- available; a paid order's refund becomes due) or the expiry of an unpaid reservation. Any
-- number of sweepers may race on the same order: the status check makes the second a no-op.
local order_key = KEYS[1]
local expiries_key = KEYS[2]
local stream_key = KEYS[3]
local dirty_key = KEYS[4]
local deal_key = KEYS[5]
local coupon_key = KEYS[6]
local coupon_uses_key = KEYS[7]
local sales_key = KEYS[8]
local refunds_due_key = KEYS[9]
local wallet = {lots = KEYS[10], expiries = KEYS[11], ledger = KEYS[12], refs = KEYS[13]}
local first_line_key = 13
local reason = ARGV[1]
local now = tonumber(ARGV[2])
local stream_maxlen = ARGV[3]
local refund_first_at = ARGV[4]
local return_grace_ms = tonumber(ARGV[5])

local order = redis.call('HMGET', order_key, 'id', 'status', 'expires_at', 'lock_token',
  'lock_until', 'lines', 'customer', 'deal_units', 'coupon', 'counted_sales', 'credit_lots', 'card_amount',
  'currency')
local order_id, status = order[1], order[2]
if not status then
  return {'error', 'unknown_order'}
end
local locked = order[4] and order[4] ~= '' and tonumber(order[5]) > now

if reason == 'expire' then
  if status ~= 'pending_payment' then
    redis.call('ZREM', expiries_key, order_id)
    return {'noop', status}
  end
  -- Not due yet, or being charged right now: look again later.
  local due = tonumber(order[3])
  if locked then due = math.max(due, tonumber(order[5])) end
  if now < due then
    redis.call('ZADD', expiries_key, due, order_id)
    return {'noop', status}
  end
elseif status ~= 'pending_payment' and status ~= 'paid' then
  return {'error', status}
elseif locked then
  return {'error', 'payment_in_progress'}
end

local from_field = 'reserved'
if status == 'paid' then from_field = 'sold' end
for index, line in ipairs(cjson.decode(order[6])) do
  local inventory_key = KEYS[first_line_key + index]
  redis.call('HINCRBY', inventory_key, from_field, -line['quantity'])
  redis.call('HINCRBY', inventory_key, 'available', line['quantity'])
  redis.call('SADD', dirty_key, line['product_id'])
end
-- The deal's units and the coupon's use are given back with the goods.
local deal_units = tonumber(order[8] or '0')
if deal_units > 0 then
  redis.call('HINCRBY', deal_key, 'taken', -deal_units)
  redis.call('HINCRBY', deal_key, 'c:' .. order[7], -deal_units)
end
if order[9] and order[9] ~= '' then
  redis.call('HINCRBY', coupon_key, 'used', -1)
  redis.call('HINCRBY', coupon_uses_key, order[7], -1)
end
-- A paid order leaves the show's dashboard: exactly what paying it counted is taken back out.
if status == 'paid' and order[10] and order[10] ~= '' and sales_key ~= '' then
  for _, product in ipairs(cjson.decode(order[10])) do
    local id = product['product_id']
    redis.call('HINCRBY', sales_key, 'units:' .. id, -product['units'])
    redis.call('HINCRBY', sales_key, 'revenue:' .. id, -product['revenue'])
    redis.call('HINCRBY', sales_key, 'orders:' .. id, -1)
  end
  redis.call('HINCRBY', sales_key, 'orders', -1)
end

local new_status = 'cancelled'
if reason == 'expire' then new_status = 'expired' end
redis.call('HSET', order_key, 'status', new_status, 'updated_at', now, 'closed_at', now,
  'lock_token', '', 'lock_until', 0)
if order[11] and order[11] ~= '' then
  wallet_return(wallet, now, order[13], cjson.decode(order[11]), order_id, return_grace_ms)
end
-- The refund is owed from this very step on (the outbox): whatever happens to the request now,
-- the payments worker retries it from the due set until the gateway confirms it. An order the
-- wallet paid in full charged no card: the credit just returned is its whole refund.
if status == 'paid' then
  if tonumber(order[12] or '1') == 0 then
    redis.call('HSET', order_key, 'refund_status', 'refunded', 'refunded_at', now)
  else
    redis.call('HSET', order_key, 'refund_status', 'pending', 'refund_attempts', 0)
    redis.call('ZADD', refunds_due_key, refund_first_at, order_id)
  end
end
redis.call('ZREM', expiries_key, order_id)
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', order_id, 'status', new_status, 'customer', order[7], 'at', now,
  'was', status)
return {'ok', status}
