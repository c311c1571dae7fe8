-- Create an order in one atomic step: replay the Idempotency-Key, check every line's stock, the
-- flash deal's window, cap and per-customer limit and the coupon, then move the units from
-- available to reserved and write the order. All or nothing: a refusal changes no stock.
-- With use_credit, the customer's store credit pays what it can of the total in the same step
-- (wallet_lib.lua, prepended, spends it); the card pays the rest.
local idem_key = KEYS[1]
local order_key = KEYS[2]
local customer_orders_key = KEYS[3]
local expiries_key = KEYS[4]
local stream_key = KEYS[5]
local dirty_key = KEYS[6]
local cart_key = KEYS[7]
local show_state_key = KEYS[8]
local deal_key = KEYS[9]
local coupon_key = KEYS[10]
local coupon_uses_key = KEYS[11]
local wallet = {lots = KEYS[12], expiries = KEYS[13], ledger = KEYS[14], refs = KEYS[15]}
local first_line_key = 15
local now = tonumber(ARGV[1])
local order_id = ARGV[2]
local customer = ARGV[3]
local body_hash = ARGV[4]
local hold_ms = tonumber(ARGV[5])
local idem_ttl_ms = tonumber(ARGV[6])
local lines = cjson.decode(ARGV[7])
local show_id = ARGV[8]
local deal_id = ARGV[9]
local deal_started_at = ARGV[10]
local coupon_code = ARGV[11]
local from_cart = ARGV[12] == '1'
local stream_maxlen = ARGV[13]
local idempotency_key = ARGV[14]
local deal_field = ARGV[15]
local use_credit = ARGV[16] == '1'
local lottery_field = ARGV[17]

-- The same key again: the order it created. A refusal is not remembered (it changes nothing),
-- so retrying a refused request with its key simply tries again.
local seen = redis.call('HMGET', idem_key, 'hash', 'order_id')
if seen[1] then
  if seen[1] ~= body_hash then
    return {'error', 'idempotency_conflict', -1, ''}
  end
  return {'ok', seen[2], 0}
end

local function refuse(code, line, detail)
  return {'error', code, line, detail}
end

-- The flash deal: running now, for this product, within its cap and the customer's limit.
local deal = nil
local deal_units = 0
if deal_id ~= '' then
  -- Where the show keeps the deal is the event log's business: it names the field.
  local raw = redis.call('HGET', show_state_key, deal_field)
  if not raw then
    return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not running')
  end
  deal = cjson.decode(raw)
  local ends_at = deal['ends_at']
  if tostring(deal['started_at']) ~= deal_started_at or now < deal['started_at']
      or (ends_at ~= cjson.null and now >= ends_at) then
    return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not running')
  end
  -- A lottery deal sells first-come only once its draw and waitlist are over (a winner's own
  -- order comes from the drop, which passes no lottery field).
  if lottery_field ~= '' then
    local lottery = redis.call('HGET', show_state_key, lottery_field)
    if lottery then
      lottery = cjson.decode(lottery)
      if tostring(lottery['started_at']) == deal_started_at and lottery['phase'] ~= 'first_come' then
        return refuse('deal_in_lottery', 0, 'deal ' .. deal_id .. ' is being drawn by lottery')
      end
    end
  end
  for index, line in ipairs(lines) do
    if line['product_id'] == deal['product_id'] then
      if deal['deal_price']['currency'] ~= line['currency'] then
        return refuse('deal_not_active', index - 1, 'deal is priced in another currency')
      end
      line['unit_price'] = deal['deal_price']['amount']
      line['deal_id'] = deal_id
      deal_units = deal_units + line['quantity']
    end
  end
  if deal_units == 0 then
    return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not for these items')
  end
end

-- Stock, line by line; the deal's own cap is checked on the first deal line.
for index, line in ipairs(lines) do
  local available = tonumber(redis.call('HGET', KEYS[first_line_key + index], 'available') or '0')
  if available < line['quantity'] then
    return refuse('out_of_stock', index - 1, available .. ' left')
  end
end
if deal then
  local deal_line = 0
  for index, line in ipairs(lines) do
    if line['deal_id'] then deal_line = index - 1 break end
  end
  local taken = tonumber(redis.call('HGET', deal_key, 'taken') or '0')
  if taken + deal_units > deal['units'] then
    return refuse('out_of_stock', deal_line, 'deal sold out')
  end
  local mine = tonumber(redis.call('HGET', deal_key, 'c:' .. customer) or '0')
  if mine + deal_units > deal['per_customer_limit'] then
    return refuse('limit_exceeded', deal_line,
      'at most ' .. deal['per_customer_limit'] .. ' per customer')
  end
end

local subtotal = 0
for _, line in ipairs(lines) do
  subtotal = subtotal + line['unit_price'] * line['quantity']
end
local currency = lines[1]['currency']

-- The coupon: known, in its window, over its minimum spend, with uses left.
local discount = 0
if coupon_code ~= '' then
  local c = redis.call('HMGET', coupon_key, 'kind', 'value', 'currency', 'min_spend',
    'starts_at', 'ends_at', 'max_uses', 'per_customer', 'used')
  if not c[1] then
    return refuse('coupon_rejected', -1, 'unknown coupon')
  end
  if now < tonumber(c[5]) or (c[6] ~= '' and now >= tonumber(c[6])) then
    return refuse('coupon_rejected', -1, 'coupon is not valid now')
  end
  if c[3] ~= '' and c[3] ~= currency then
    return refuse('coupon_rejected', -1, 'coupon is for ' .. c[3])
  end
  if subtotal < tonumber(c[4]) then
    return refuse('coupon_rejected', -1, 'minimum spend ' .. c[4])
  end
  if c[7] ~= '' and tonumber(c[9] or '0') >= tonumber(c[7]) then
    return refuse('coupon_rejected', -1, 'coupon used up')
  end
  if c[8] ~= '' and tonumber(redis.call('HGET', coupon_uses_key, customer) or '0') >= tonumber(c[8]) then
    return refuse('coupon_rejected', -1, 'coupon already used')
  end
  if c[1] == 'percent' then
    discount = math.floor(subtotal * tonumber(c[2]) / 100)
  else
    discount = math.min(tonumber(c[2]), subtotal)
  end
  redis.call('HINCRBY', coupon_key, 'used', 1)
  redis.call('HINCRBY', coupon_uses_key, customer, 1)
end

-- Every check passed: reserve.
for index, line in ipairs(lines) do
  local inventory_key = KEYS[first_line_key + index]
  redis.call('HINCRBY', inventory_key, 'available', -line['quantity'])
  redis.call('HINCRBY', inventory_key, 'reserved', line['quantity'])
  redis.call('SADD', dirty_key, line['product_id'])
end
if deal then
  redis.call('HINCRBY', deal_key, 'taken', deal_units)
  redis.call('HINCRBY', deal_key, 'c:' .. customer, deal_units)
end

-- Store credit, soonest-expiring first, never an expired lot; one ledger debit for the order.
local total = subtotal - discount
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
redis.call('HSET', order_key,
  'id', order_id, 'customer', customer, 'status', 'pending_payment',
  'created_at', now, 'updated_at', now, 'expires_at', expires_at,
  'currency', currency, 'subtotal', subtotal, 'discount', discount, 'total', total,
  'credit_used', credit_used, 'credit_lots', credit_lots, 'card_amount', total - credit_used,
  'lines', cjson.encode(lines), 'show_id', show_id, 'deal_id', deal_id, 'deal_key', deal_key,
  'deal_units', deal_units, 'coupon', coupon_code, 'idempotency_key', idempotency_key)
redis.call('ZADD', customer_orders_key, now, order_id)
redis.call('ZADD', expiries_key, expires_at, order_id)
redis.call('HSET', idem_key, 'hash', body_hash, 'order_id', order_id)
redis.call('PEXPIRE', idem_key, idem_ttl_ms)
if from_cart then
  redis.call('DEL', cart_key)
end
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', order_id, 'status', 'pending_payment', 'customer', customer, 'at', now,
  'total', total, 'currency', currency)
-- The new order comes back with the answer, saving the caller a round trip.
return {'ok', order_id, 1, redis.call('HGETALL', order_key)}
