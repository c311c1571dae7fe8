-- The three steps of paying an order, each atomic: 'begin' takes the payment lock (the order is
-- then neither expired nor cancelled while the gateway is charging), 'commit' turns the reserved
-- units into sold ones, 'fail' releases the lock and keeps the reservation until it expires.
local order_key = KEYS[1]
local expiries_key = KEYS[2]
local stream_key = KEYS[3]
local dirty_key = KEYS[4]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local token = ARGV[3]
local lock_ms = tonumber(ARGV[4])
local payment_id = ARGV[5]
local stream_maxlen = ARGV[6]

local order = redis.call('HMGET', order_key, 'status', 'expires_at', 'lock_token', 'lock_until',
  'lines', 'customer')
local status = order[1]
if not status then
  return {'error', 'unknown_order'}
end

if action == 'begin' then
  if status ~= 'pending_payment' then
    return {'error', status}
  end
  if now >= tonumber(order[2]) then
    return {'error', 'expired'}
  end
  if order[3] and order[3] ~= '' and tonumber(order[4]) > now then
    return {'error', 'payment_in_progress'}
  end
  redis.call('HSET', order_key, 'lock_token', token, 'lock_until', now + lock_ms)
  return {'ok', status}
end

-- Only the request holding the lock may finish, and only while the order still waits: a lock
-- that ran out may have let the sweeper expire the order and release its units.
if order[3] ~= token or status ~= 'pending_payment' then
  return {'error', 'lock_lost'}
end

if action == 'fail' then
  redis.call('HSET', order_key, 'lock_token', '', 'lock_until', 0, 'last_payment_error', payment_id,
    'updated_at', now)
  return {'ok', status}
end

-- commit: the lock kept the sweeper and cancels away, so the order is still pending.
for index, line in ipairs(cjson.decode(order[5])) do
  local inventory_key = KEYS[4 + index]
  redis.call('HINCRBY', inventory_key, 'reserved', -line['quantity'])
  redis.call('HINCRBY', inventory_key, 'sold', line['quantity'])
  redis.call('SADD', dirty_key, line['product_id'])
end
redis.call('HSET', order_key, 'status', 'paid', 'payment_id', payment_id, 'paid_at', now,
  'updated_at', now, 'lock_token', '', 'lock_until', 0)
redis.call('ZREM', expiries_key, redis.call('HGET', order_key, 'id'))
redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
  'order_id', redis.call('HGET', order_key, 'id'), 'status', 'paid', 'customer', order[6],
  'at', now)
return {'ok', 'paid'}
