-- Open an order (the customer's slot): replay the Idempotency-Key, or claim it for a new order
-- written as 'reserving' with what its holds will be (lines, deal, coupon). The order waits in
-- the bucket's sync set, so a crash before its confirm is found and undone by the sync sweep.
local idem_key = KEYS[1]
local order_key = KEYS[2]
local sync_key = KEYS[3]
local now = tonumber(ARGV[1])
local order_id = ARGV[2]
local customer = ARGV[3]
local body_hash = ARGV[4]
local idem_ttl_ms = tonumber(ARGV[5])
local lines = ARGV[6]
local show_id = ARGV[7]
local deal_id = ARGV[8]
local deal_started_at = ARGV[9]
local deal_key = ARGV[10]
local coupon_code = ARGV[11]
local idempotency_key = ARGV[12]
local sync_at = tonumber(ARGV[13])

-- The same key again: the order it made (a refusal is not remembered: the key is freed).
local seen = redis.call('HMGET', idem_key, 'hash', 'order_id')
if seen[1] then
  if seen[1] ~= body_hash then
    return {'error', 'idempotency_conflict'}
  end
  return {'seen', seen[2]}
end

redis.call('HSET', order_key,
  'id', order_id, 'customer', customer, 'status', 'reserving', 'created_at', now,
  'updated_at', now, 'lines', lines, 'show_id', show_id, 'deal_id', deal_id,
  'deal_started_at', deal_started_at, 'deal_key', deal_key, 'coupon', coupon_code,
  'idempotency_key', idempotency_key)
redis.call('HSET', idem_key, 'hash', body_hash, 'order_id', order_id)
redis.call('PEXPIRE', idem_key, idem_ttl_ms)
redis.call('ZADD', sync_key, sync_at, order_id)
return {'ok', order_id}
