-- Confirm an order (the customer's slot) once its holds are reserved: only an order still
-- 'reserving' (the sync sweep did not give it up) becomes 'pending_payment' with its priced
-- lines and totals, spends store credit (wallet_lib.lua, prepended), gets its expiry, its
-- stream entry and its place in the customer's list, empties the cart and leaves the sync set.
local order_key = KEYS[1]
local customer_orders_key = KEYS[2]
local expiries_key = KEYS[3]
local stream_key = KEYS[4]
local cart_key = KEYS[5]
local sync_key = KEYS[6]
local wallet = {lots = KEYS[7], expiries = KEYS[8], ledger = KEYS[9], refs = KEYS[10]}
local now = tonumber(ARGV[1])
local lines = ARGV[2]
local discount = tonumber(ARGV[3])
local deal_units = tonumber(ARGV[4])
local hold_ms = tonumber(ARGV[5])
local from_cart = ARGV[6] == '1'
local stream_maxlen = ARGV[7]
local use_credit = ARGV[8] == '1'

local order = redis.call('HMGET', order_key, 'id', 'status', 'customer')
local order_id, status, customer = order[1], order[2], order[3]
if status ~= 'reserving' then
  return {'error', status or 'unknown_order'}
end

local priced = cjson.decode(lines)
local subtotal = 0
for _, line in ipairs(priced) do
  subtotal = subtotal + line['unit_price'] * line['quantity']
end
local currency = priced[1]['currency']
local total = subtotal - discount

-- Store credit, soonest-expiring first, never an expired lot; one ledger debit for the order.
local credit_used, credit_lots = 0, ''
if use_credit and total > 0 then
  local pieces
  credit_used, pieces = wallet_take(wallet, now, currency, total)
  if credit_used > 0 then
    credit_lots = cjson.encode(pieces)
    wallet_entry(wallet, now, currency, -credit_used, 'order', order_id, {lots = pieces})
  end
end

local expires_at = now + hold_ms
redis.call('HSET', order_key, 'status', 'pending_payment', 'updated_at', now,
  'expires_at', expires_at, 'currency', currency, 'subtotal', subtotal, 'discount', discount,
  'total', total, 'credit_used', credit_used, 'credit_lots', credit_lots,
  'card_amount', total - credit_used, 'lines', lines, 'deal_units', deal_units)
redis.call('ZADD', customer_orders_key, now, order_id)
redis.call('ZADD', expiries_key, expires_at, order_id)
redis.call('ZREM', sync_key, order_id)
if from_cart then
  redis.call('DEL', cart_key)
end
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', order_id, 'status', 'pending_payment', 'customer', customer, 'at', now,
  'total', total, 'currency', currency)
-- The new order comes back with the answer, saving the caller a round trip.
return {'ok', redis.call('HGETALL', order_key)}
