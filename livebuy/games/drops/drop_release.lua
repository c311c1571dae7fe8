-- A holder's unit is free again (its order expired or was cancelled, or none could be made):
-- the next session of the waitlist holds it now. With the waitlist over, the deal's units left
-- go first-come (as soon as its last entry is promoted). 'stop' (the deal no longer runs) ends
-- the waitlist at once.
local drop_key = KEYS[1]
local order_key = KEYS[2]
local holds_key = KEYS[3]
local session_id = ARGV[1]
local stop = ARGV[2]

if redis.call('ZREM', holds_key, session_id) == 0 then
  return {'noop', 'not_holding'}
end
local drop = redis.call('HMGET', drop_key, 'next', 'drawn_count', 'first_come')
local next_rank, drawn = tonumber(drop[1]), tonumber(drop[2])
if stop == '1' then
  next_rank = drawn
end
if next_rank < drawn then
  local promoted = redis.call('LINDEX', order_key, next_rank)
  redis.call('HSET', drop_key, 'next', next_rank + 1)
  -- The last of the waitlist: from now on a unit given back sells first-come.
  if next_rank + 1 == drawn then
    redis.call('HSET', drop_key, 'first_come', '1')
  end
  redis.call('ZADD', holds_key, 0, promoted)
  return {'ok', promoted, next_rank, drawn - next_rank - 1}
end
redis.call('HSET', drop_key, 'next', drawn, 'first_come', '1')
return {'ok', '', drawn, 0}
