-- One entry: check the window, one entry per session, eligibility and the per-IP cap, then
-- record it, in one step (so two taps on two processes cannot both enter).
local giveaway_key = KEYS[1]
local entries_key = KEYS[2]
local ips_key = KEYS[3]
local presence_key = KEYS[4]
local chatters_key = KEYS[5]
local session_id = ARGV[1]
local handle = ARGV[2]
local ip = ARGV[3]
local now = tonumber(ARGV[4])
local presence_ms = tonumber(ARGV[5])
local ip_cap = tonumber(ARGV[6])
local session_created_at = tonumber(ARGV[7])
local min_age_ms = tonumber(ARGV[8])
local has_favourite = ARGV[9]
local has_purchase = ARGV[10]

local state = redis.call('HMGET', giveaway_key, 'status', 'ends_at',
                         'require_chatted', 'require_favourite', 'require_purchase')
local status, ends_at = state[1], tonumber(state[2])
if not status then
  return {'unknown_giveaway'}
end
if status ~= 'open' or now >= ends_at then
  return {'giveaway_closed'}
end
if redis.call('HEXISTS', entries_key, session_id) == 1 then
  return {'already_entered'}
end
if now - session_created_at < min_age_ms then
  return {'not_eligible', 'session_too_new'}
end
local seen = tonumber(redis.call('ZSCORE', presence_key, session_id))
if not seen or seen < now - presence_ms then
  return {'not_eligible', 'not_watching'}
end
if state[3] == '1' and redis.call('SISMEMBER', chatters_key, session_id) == 0 then
  return {'not_eligible', 'not_chatted'}
end
if state[4] == '1' and has_favourite ~= '1' then
  return {'not_eligible', 'no_favourite'}
end
if state[5] == '1' and has_purchase ~= '1' then
  return {'not_eligible', 'no_purchase'}
end
if tonumber(redis.call('HGET', ips_key, ip) or '0') >= ip_cap then
  return {'entry_cap'}
end
redis.call('HSET', entries_key, session_id, handle)
redis.call('HINCRBY', ips_key, ip, 1)
return {'ok', redis.call('HLEN', entries_key)}
