-- The steps of paying an order, each atomic: 'begin' takes the payment lock (the order is then
-- neither expired nor cancelled while the gateway is charging) and records the charge attempt,
-- 'commit' turns the reserved units into sold ones, 'fail' releases the lock and keeps the
-- reservation until it expires. 'reconcile' settles an attempt whose request vanished (a crash),
-- given what the gateway says it charged. A charge that can no longer be sold (the order expired
-- or was cancelled meanwhile) becomes a refund due, in the same step. Every key is in the
-- customer's slot: selling the units and counting the sale follow in their own slots (the
-- order waits in the sync set until they did).
local order_key = KEYS[1]
local expiries_key = KEYS[2]
local stream_key = KEYS[3]
local attempts_key = KEYS[4]
local refunds_due_key = KEYS[5]
local sync_key = KEYS[6]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local token = ARGV[3]
local lock_ms = tonumber(ARGV[4])
local payment_id = ARGV[5]
local stream_maxlen = ARGV[6]
local extra = ARGV[7]
local sync_at = ARGV[8]

local order = redis.call('HMGET', order_key, 'status', 'expires_at', 'lock_token', 'lock_until',
  'lines', 'customer', 'id', 'refund_status', 'show_id')
local status = order[1]
if not status then
  return {'error', 'unknown_order'}
end
local order_id = order[7]
local locked = order[3] and order[3] ~= '' and tonumber(order[4]) > now

-- The charge was made but the order was released meanwhile: the money goes back, through the
-- refund outbox (retried until the gateway confirms), never sold.
local function refund_due(first_attempt_at)
  if not order[8] or order[8] == '' then
    redis.call('HSET', order_key, 'payment_id', payment_id, 'refund_status', 'pending',
      'refund_attempts', 0, 'updated_at', now)
    redis.call('ZADD', refunds_due_key, first_attempt_at, order_id)
  end
  redis.call('ZREM', attempts_key, order_id)
end

if action == 'begin' then
  if status ~= 'pending_payment' then
    return {'error', status}
  end
  if now >= tonumber(order[2]) then
    return {'error', 'expired'}
  end
  if locked then
    return {'error', 'payment_in_progress'}
  end
  redis.call('HSET', order_key, 'lock_token', token, 'lock_until', now + lock_ms,
    'charge_key', 'order:' .. order_id, 'charge_started_at', now)
  redis.call('ZADD', attempts_key, now, order_id)
  return {'ok', status}
end

if action == 'reconcile' then
  -- Someone is paying right now (a newer attempt): it finishes, or is reconciled in its turn.
  if status == 'pending_payment' and locked then
    return {'noop', 'payment_in_progress'}
  end
  if payment_id == '' then
    redis.call('ZREM', attempts_key, order_id)
    return {'ok', 'no_charge'}
  end
  if status == 'paid' then
    redis.call('ZREM', attempts_key, order_id)
    return {'ok', 'paid'}
  end
  if status ~= 'pending_payment' then
    refund_due(tonumber(extra))
    return {'ok', 'refund_due'}
  end
  -- Still pending with its units reserved: the customer paid, so the order is sold (below).
else
  -- Only the request holding the lock may finish, and only while the order still waits: a lock
  -- that ran out may have let the sweeper expire the order and release its units.
  if order[3] ~= token or status ~= 'pending_payment' then
    if action == 'commit' then
      -- The same idempotency key made the same charge: whoever committed it sold this order.
      if status == 'paid' then
        return {'ok', 'paid'}
      end
      if status ~= 'pending_payment' then
        refund_due(tonumber(extra))
        return {'error', 'refund_due', status}
      end
    end
    return {'error', 'lock_lost'}
  end

  if action == 'fail' then
    redis.call('HSET', order_key, 'lock_token', '', 'lock_until', 0, 'last_payment_error',
      payment_id, 'updated_at', now)
    -- A timeout may have charged after all: the attempt stays for reconciliation to ask.
    if extra ~= '1' then
      redis.call('ZREM', attempts_key, order_id)
    end
    return {'ok', status}
  end
end

-- commit (or reconcile of a pending order): the lock kept the sweeper and cancels away, so the
-- order is still pending and its units reserved (its stock holds are sold after this step).
local lines = cjson.decode(order[5])
-- What the show's dashboard counts for the sale, per product (sales_count.lua adds it in the
-- show's slot); the order keeps it so a cancel takes exactly that back out. The coupon's
-- discount is shared out over the products in proportion to their amounts (the last takes the
-- rounding), so the products' revenue adds up to what was paid.
if order[9] and order[9] ~= '' then
  local money = redis.call('HMGET', order_key, 'subtotal', 'discount', 'currency')
  local subtotal, discount, currency = tonumber(money[1]), tonumber(money[2]), money[3]
  local products, order_of = {}, {}
  for _, line in ipairs(lines) do
    local id = line['product_id']
    if not products[id] then
      products[id] = {product_id = id, units = 0, amount = 0}
      table.insert(order_of, id)
    end
    products[id]['units'] = products[id]['units'] + line['quantity']
    products[id]['amount'] = products[id]['amount'] + line['unit_price'] * line['quantity']
  end
  local counted, shared = {}, 0
  for index, id in ipairs(order_of) do
    local product = products[id]
    local share = discount - shared
    if index < #order_of and subtotal > 0 then
      share = math.floor(discount * product['amount'] / subtotal)
    end
    shared = shared + share
    product['revenue'] = product['amount'] - share
    table.insert(counted, {product_id = id, units = product['units'], revenue = product['revenue']})
  end
  redis.call('HSET', order_key, 'counted_sales', cjson.encode(counted))
end
redis.call('HSET', order_key, 'status', 'paid', 'payment_id', payment_id, 'paid_at', now,
  'updated_at', now, 'lock_token', '', 'lock_until', 0)
redis.call('ZREM', expiries_key, order_id)
redis.call('ZREM', attempts_key, order_id)
redis.call('ZADD', sync_key, sync_at, order_id)
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', order_id, 'status', 'paid', 'customer', order[6],
  'at', now)
return {'ok', 'paid'}
