-- Release an order in one atomic step of the customer's slot: a cancel (a paid order's refund
-- becomes due) or the expiry of an unpaid reservation; store credit goes back to the wallet. Its
-- units, deal units, coupon use and counted sales are given back by its holds after this step
-- (the order waits in the sync set until they were). Any number of sweepers may race on the same
-- order: the status check makes the second a no-op.
local order_key = KEYS[1]
local expiries_key = KEYS[2]
local stream_key = KEYS[3]
local refunds_due_key = KEYS[4]
local sync_key = KEYS[5]
local wallet = {lots = KEYS[6], expiries = KEYS[7], ledger = KEYS[8], refs = KEYS[9]}
local reason = ARGV[1]
local now = tonumber(ARGV[2])
local stream_maxlen = ARGV[3]
local refund_first_at = ARGV[4]
local return_grace_ms = tonumber(ARGV[5])
local sync_at = ARGV[6]

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
redis.call('ZADD', sync_key, sync_at, order_id)
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', order_id, 'status', new_status, 'customer', order[7], 'at', now,
  'was', status)
return {'ok', status}
