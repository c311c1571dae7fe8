-- Close a drop's entries once its window (and grace) is over and hand back what the draw needs.
-- 'drawing' lasts until the result is written: a closer that died mid-way is succeeded by one
-- that draws again from the same frozen entries and seed (the draw is deterministic).
local drop_key = KEYS[1]
local entries_key = KEYS[2]
local now = tonumber(ARGV[1])

local drop = redis.call('HMGET', drop_key, 'status', 'draw_at', 'seed')
local status, draw_at, seed = drop[1], tonumber(drop[2]), drop[3]
if not status then
  return {'error', 'unknown_deal'}
end
if status == 'entries' then
  if now < draw_at then
    return {'noop', status}
  end
  redis.call('HSET', drop_key, 'status', 'drawing', 'closed_at', now)
elseif status ~= 'drawing' then
  return {'noop', status}
end
local reply = {'ok', seed}
local entries = redis.call('HGETALL', entries_key)
for index = 1, #entries do
  reply[#reply + 1] = entries[index]
end
return reply
