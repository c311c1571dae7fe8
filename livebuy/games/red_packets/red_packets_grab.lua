-- Grab a packet of an open rain in one step: the rain is open and not over, the viewer has none
-- yet, its IP is under the cap, a packet is left; then the packet is the viewer's, and its credit
-- is owed through the outbox (the wallet's keys live in another slot, so the credit is a second,
-- idempotent step). Every session that tried while the rain was open is kept for the report.
local rain_key = KEYS[1]
local packets_key = KEYS[2]
local grabs_key = KEYS[3]
local outbox_key = KEYS[4]
local ips_key = KEYS[5]
local tried_key = KEYS[6]
local now = tonumber(ARGV[1])
local session_id = ARGV[2]
local ref_prefix = ARGV[3]
local ttl_ms = tonumber(ARGV[4])
local ip = ARGV[5]
local ip_cap = tonumber(ARGV[6])

local rain = redis.call('HMGET', rain_key, 'ends_at', 'currency', 'count')
if not rain[1] then
  return {'not_open'}
end
if now >= tonumber(rain[1]) then
  return {'error', 'rain_closed'}
end
local mine = redis.call('HGET', grabs_key, session_id)
if mine then
  return {'error', 'already_grabbed', mine}
end
-- The cap counts distinct viewers grabbing from one address (a retry after rain_empty is not a
-- new one). No address (an internal caller): no cap.
local first_try = redis.call('SISMEMBER', tried_key, session_id) == 0
if ip ~= '' and first_try then
  if tonumber(redis.call('HGET', ips_key, ip) or '0') >= ip_cap then
    return {'error', 'grab_cap', ip_cap}
  end
  redis.call('HINCRBY', ips_key, ip, 1)
  redis.call('PEXPIRE', ips_key, ttl_ms)
end
redis.call('SADD', tried_key, session_id)
redis.call('PEXPIRE', tried_key, ttl_ms)
local amount = redis.call('LPOP', packets_key)
if not amount then
  return {'error', 'rain_empty'}
end
local index = redis.call('HINCRBY', rain_key, 'granted', 1) - 1
redis.call('HINCRBY', rain_key, 'granted_amount', amount)
redis.call('HSET', grabs_key, session_id, index .. ':' .. amount)
redis.call('PEXPIRE', grabs_key, ttl_ms)
-- The grant, owed to the wallet: '<session>|<currency>|<amount>|<ref>' (none holds a '|').
local grant = session_id .. '|' .. rain[2] .. '|' .. amount .. '|' .. ref_prefix .. ':' .. index
redis.call('ZADD', outbox_key, now, grant)
return {'ok', index, amount, rain[2], grant}
