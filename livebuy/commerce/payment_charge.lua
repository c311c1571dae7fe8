-- The demo provider's charge, idempotent per key: the first call with a key records the payment
-- (and logs that money moved); every later call with that key answers the first payment.
local charge_key = KEYS[1]
local payment_key = KEYS[2]
local log_key = KEYS[3]
local payment_id = ARGV[1]
local amount = ARGV[2]
local currency = ARGV[3]
local idempotency_key = ARGV[4]
local refund_failures = ARGV[5]
local now = ARGV[6]

local existing = redis.call('GET', charge_key)
if existing then
  return {existing, 0}
end
redis.call('SET', charge_key, payment_id)
redis.call('HSET', payment_key, 'payment_id', payment_id, 'amount', amount, 'currency', currency,
  'idempotency_key', idempotency_key, 'refund_failures_left', refund_failures, 'created_at', now)
redis.call('RPUSH', log_key, cjson.encode({kind = 'charge', payment_id = payment_id,
  idempotency_key = idempotency_key, amount = tonumber(amount), currency = currency,
  at = tonumber(now)}))
return {payment_id, 1}
