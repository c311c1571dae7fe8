-- Close a giveaway's entries (on time, or early when asked) and hand back what the draw needs.
-- 'drawing' lasts until the results are written: a closer that died mid-way is succeeded by
-- one that draws again from the same frozen entries and seed (the draw is deterministic).
local giveaway_key = KEYS[1]
local entries_key = KEYS[2]
local now = tonumber(ARGV[1])
local early = ARGV[2]

local state = redis.call('HMGET', giveaway_key, 'status', 'ends_at', 'seed')
local status, ends_at, seed = state[1], tonumber(state[2]), state[3]
if not status then
  return {'unknown_giveaway'}
end
if status == 'closed' then
  return {'giveaway_closed'}
end
if status == 'open' then
  if early ~= '1' and now < ends_at then
    return {'not_due'}
  end
  redis.call('HSET', giveaway_key, 'status', 'drawing', 'closed_at', math.min(now, ends_at))
end
local reply = {'drawing', seed}
local entries = redis.call('HGETALL', entries_key)
for index = 1, #entries do
  reply[#reply + 1] = entries[index]
end
return reply
