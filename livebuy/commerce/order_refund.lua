-- Settle one attempt of a due refund, atomically: 'confirm' records the gateway's refund, takes
-- the order out of the due set and appends 'refunded' to the orders stream; 'retry' counts the
-- failed attempt and schedules the next one with exponential backoff (capped). Either is a no-op
-- for an order whose refund is no longer pending, so racing workers confirm a refund once.
local order_key = KEYS[1]
local refunds_due_key = KEYS[2]
local stream_key = KEYS[3]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local order_id = ARGV[3]
local detail = ARGV[4]
local base_ms = tonumber(ARGV[5])
local max_ms = tonumber(ARGV[6])
local stream_maxlen = ARGV[7]

local order = redis.call('HMGET', order_key, 'refund_status', 'customer')
if order[1] ~= 'pending' then
  redis.call('ZREM', refunds_due_key, order_id)
  return {'noop', order[1] or ''}
end

if action == 'confirm' then
  redis.call('HSET', order_key, 'refund_status', 'refunded', 'refund_id', detail,
    'refunded_at', now, 'updated_at', now)
  redis.call('ZREM', refunds_due_key, order_id)
  redis.call('XADD', stream_key, 'MAXLEN', '~', stream_maxlen, '*',
    'order_id', order_id, 'status', 'refunded', 'customer', order[2], 'at', now,
    'refund_id', detail)
  return {'ok', 'refunded'}
end

local attempts = redis.call('HINCRBY', order_key, 'refund_attempts', 1)
local delay = max_ms
if attempts <= 40 then
  delay = math.min(max_ms, math.floor(base_ms * 2 ^ (attempts - 1)))
end
local next_at = now + delay
redis.call('HSET', order_key, 'last_refund_error', detail)
redis.call('ZADD', refunds_due_key, next_at, order_id)
return {'ok', tostring(next_at)}
