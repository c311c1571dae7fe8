-- A holder's order, looked at: record the order it was given (or '' when none could be made)
-- and when to look again ('' : never, it is settled: paid, or passed on by drop_release).
local drop_key = KEYS[1]
local holds_key = KEYS[2]
local grants_key = KEYS[3]
local session_id = ARGV[1]
local order_id = ARGV[2]
local look_at = ARGV[3]
local ttl_ms = ARGV[4]

if redis.call('ZSCORE', holds_key, session_id) == false then
  return {'noop', 'not_holding'}
end
if order_id ~= '-' then
  redis.call('HSET', grants_key, session_id, order_id)
  redis.call('PEXPIRE', grants_key, ttl_ms)
end
if look_at == '' then
  redis.call('ZREM', holds_key, session_id)
else
  redis.call('ZADD', holds_key, look_at, session_id)
end
return {'ok', redis.call('HGET', drop_key, 'status')}
