-- Take the reactions counted since the last frame, and the totals, in one step: a reaction
-- counted concurrently lands either in this interval or the next, never in both or neither.
local pending_key = KEYS[1]
local totals_key = KEYS[2]

local pending = redis.call('HGETALL', pending_key)
if #pending == 0 then
  return {{}, {}}
end
redis.call('DEL', pending_key)
return {pending, redis.call('HGETALL', totals_key)}
