-- One entry: one per session (a repeat tap answers as the first did), inside the window on the
-- server clock (its grace included), from a session old enough when the rule is on.
local drop_key = KEYS[1]
local entries_key = KEYS[2]
local choices_key = KEYS[3]
local session_id = ARGV[1]
local handle = ARGV[2]
local sku = ARGV[3]
local now = tonumber(ARGV[4])
local session_created_at = tonumber(ARGV[5])
local exclude_new = ARGV[6]
local ttl_ms = ARGV[7]

local drop = redis.call('HMGET', drop_key, 'status', 'started_at', 'draw_at')
local status, started_at, draw_at = drop[1], tonumber(drop[2]), tonumber(drop[3])
if not status then
  return {'error', 'unknown_deal'}
end
if redis.call('HEXISTS', entries_key, session_id) == 1 then
  return {'ok', 0}
end
if status ~= 'entries' or now < started_at or now >= draw_at then
  return {'error', 'deal_not_active'}
end
if exclude_new == '1' and session_created_at > started_at then
  return {'error', 'session_too_new'}
end
redis.call('HSET', entries_key, session_id, handle)
redis.call('PEXPIRE', entries_key, ttl_ms)
if sku ~= '' then
  redis.call('HSET', choices_key, session_id, sku)
  redis.call('PEXPIRE', choices_key, ttl_ms)
end
return {'ok', 1}
