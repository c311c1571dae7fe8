-- Write a drop's draw: the draw order (winners, then the waitlist), each drawn session's rank,
-- and the winners as holders whose orders the closer makes next. Once: a second settle (a
-- closer racing a successor) finds the drop drawn and changes nothing.
local drop_key = KEYS[1]
local order_key = KEYS[2]
local ranks_key = KEYS[3]
local holds_key = KEYS[4]
local entries_hash = ARGV[1]
local winners = ARGV[2]
local winner_count = tonumber(ARGV[3])
local entry_count = ARGV[4]
local ttl_ms = ARGV[5]
-- ARGV[6..]: the drawn session ids, in draw order.
local first_session = 6

local status = redis.call('HGET', drop_key, 'status')
if status ~= 'drawing' then
  return {'noop', status or ''}
end
redis.call('DEL', order_key, ranks_key, holds_key)
for index = first_session, #ARGV do
  local rank = index - first_session
  redis.call('RPUSH', order_key, ARGV[index])
  redis.call('HSET', ranks_key, ARGV[index], rank)
  if rank < winner_count then
    redis.call('ZADD', holds_key, 0, ARGV[index])
  end
end
local drawn = #ARGV - first_session + 1
local first_come = '0'
if drawn <= winner_count then first_come = '1' end
redis.call('HSET', drop_key, 'status', 'drawn', 'entries_hash', entries_hash,
  'winners', winners, 'winner_count', winner_count, 'drawn_count', drawn,
  'entry_count', entry_count, 'next', winner_count, 'first_come', first_come)
for _, key in ipairs({drop_key, order_key, ranks_key, holds_key}) do
  redis.call('PEXPIRE', key, ttl_ms)
end
return {'ok', first_come}
