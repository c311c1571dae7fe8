-- Cast one vote (or quiz answer): check the poll's run, its window on the viewer's program clock,
-- the option, the one-vote-per-session rule and the per-IP cap, then count it, in one atomic step.
local state_key = KEYS[1]
local counts_key = KEYS[2]
local voters_key = KEYS[3]
local correct_key = KEYS[4]
local ips_key = KEYS[5]
local poll_field = ARGV[1]
local secret_field = ARGV[2]
local close_field = ARGV[3]
local opened_at = tonumber(ARGV[4])
local session_id = ARGV[5]
local option = tonumber(ARGV[6])
local now = tonumber(ARGV[7])
local program_ms = ARGV[8]
local tolerance_ms = tonumber(ARGV[9])
local ttl_ms = ARGV[10]
local ip = ARGV[11]
local ip_cap = tonumber(ARGV[12])

local raw = redis.call('HGET', state_key, poll_field)
if not raw then
  return {'error', 'unknown_poll'}
end
local poll = cjson.decode(raw)
local closes_at = tonumber(poll['closes_at'])
local early = redis.call('HGET', state_key, close_field)
if early then
  closes_at = math.min(closes_at, tonumber(cjson.decode(early)['closes_at']))
end
-- The caller read the poll before this step: another run of it may have opened since.
if tonumber(poll['opened_at']) ~= opened_at or redis.call('HEXISTS', counts_key, 'final') == 1 then
  return {'error', 'poll_closed', closes_at}
end
if option < 0 or option >= #poll['options'] then
  return {'error', 'invalid_option', #poll['options']}
end

-- Judged on the program clock: what the viewer's video showed when they tapped.
local late = 0
if program_ms ~= '' then
  local program = tonumber(program_ms)
  if program > now + tolerance_ms or program < opened_at then
    return {'error', 'invalid_program_time', closes_at}
  end
  if program > closes_at then
    return {'error', 'poll_closed', closes_at}
  end
end
if now >= closes_at then
  -- After the server's close, only an answer the video showed in time, within the tolerance.
  if program_ms == '' or now > closes_at + tolerance_ms then
    return {'error', 'poll_closed', closes_at}
  end
  late = 1
end

local previous = redis.call('HGET', voters_key, session_id)
if previous then
  return {'error', 'already_voted', tonumber(previous)}
end
-- No address (an internal caller): no cap.
if ip ~= '' then
  if tonumber(redis.call('HGET', ips_key, ip) or '0') >= ip_cap then
    return {'error', 'vote_cap', ip_cap}
  end
  redis.call('HINCRBY', ips_key, ip, 1)
  redis.call('PEXPIRE', ips_key, ttl_ms)
end
redis.call('HSET', voters_key, session_id, option)
redis.call('HINCRBY', counts_key, tostring(option), 1)
local total = redis.call('HINCRBY', counts_key, 'total', 1)
local secret = cjson.decode(redis.call('HGET', state_key, secret_field) or '{}')
if type(secret['correct_option']) == 'number' and secret['correct_option'] == option then
  redis.call('SADD', correct_key, session_id)
  redis.call('PEXPIRE', correct_key, ttl_ms)
end
redis.call('PEXPIRE', voters_key, ttl_ms)
redis.call('PEXPIRE', counts_key, ttl_ms)
return {'ok', total, late}
