-- The demo provider's full refund, idempotent per key: the first successful call with a key
-- records the refund (and logs that money moved); later calls with that key answer it. A second
-- refund of the same payment under another key is refused, as a real provider refuses it.
local refund_key = KEYS[1]
local payment_key = KEYS[2]
local log_key = KEYS[3]
local refund_id = ARGV[1]
local amount = tonumber(ARGV[2])
local idempotency_key = ARGV[3]
local now = ARGV[4]

local seen = redis.call('HGET', refund_key, 'refund_id')
if seen then
  return {'refunded', seen}
end
local payment = redis.call('HMGET', payment_key, 'payment_id', 'amount', 'refund_id',
  'refund_failures_left')
if not payment[1] then
  return {'failed', 'unknown_payment'}
end
if payment[3] then
  return {'failed', 'already_refunded'}
end
if amount ~= tonumber(payment[2]) then
  return {'failed', 'amount_mismatch'}
end
-- The refund-failing test card: the provider is "unavailable" for its first few refunds.
if tonumber(payment[4] or '0') > 0 then
  redis.call('HINCRBY', payment_key, 'refund_failures_left', -1)
  return {'failed', 'gateway_unavailable'}
end
redis.call('HSET', refund_key, 'refund_id', refund_id, 'payment_id', payment[1])
redis.call('HSET', payment_key, 'refund_id', refund_id, 'refunded_at', now)
redis.call('RPUSH', log_key, cjson.encode({kind = 'refund', payment_id = payment[1],
  refund_id = refund_id, idempotency_key = idempotency_key, amount = amount,
  at = tonumber(now)}))
return {'refunded', refund_id}
