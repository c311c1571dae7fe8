-- The customer-slot side of bringing an order's holds in line with its status. 'abort' gives up
-- an order still 'reserving' (its request was refused or vanished): it becomes 'aborted' and its
-- Idempotency-Key is freed, and it stays in the sync set until its holds are released. 'done'
-- takes the order out of the sync set, but only if its status is still the one the caller
-- synced the holds to (a change meanwhile put it back in for another pass). 'forget' deletes an
-- order its own request aborted once its holds were discarded: a refusal leaves no trace.
local order_key = KEYS[1]
local idem_key = KEYS[2]
local sync_key = KEYS[3]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local order_id = ARGV[3]
local synced_status = ARGV[4]

local order = redis.call('HMGET', order_key, 'status')
local status = order[1]
if not status then
  redis.call('ZREM', sync_key, order_id)
  return {'ok', ''}
end
if action == 'abort' then
  if status == 'reserving' then
    redis.call('HSET', order_key, 'status', 'aborted', 'updated_at', now)
    if redis.call('HGET', idem_key, 'order_id') == order_id then
      redis.call('DEL', idem_key)
    end
    return {'ok', 'aborted'}
  end
  return {'ok', status}
end
if action == 'forget' then
  if status == 'aborted' then
    redis.call('DEL', order_key)
    redis.call('ZREM', sync_key, order_id)
  end
  return {'ok', status}
end
if status == synced_status then
  redis.call('ZREM', sync_key, order_id)
end
return {'ok', status}
