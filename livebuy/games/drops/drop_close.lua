-- The producer closes a drop's entries now: the window ends at once (no grace) and the closer
-- draws on its next pass. Only while entries are open (a second close is refused).
local drop_key = KEYS[1]
local now = tonumber(ARGV[1])

local drop = redis.call('HMGET', drop_key, 'status', 'entries_close_at', 'draw_at')
if not drop[1] then
  return {'error', 'unknown_deal'}
end
if drop[1] ~= 'entries' or now >= tonumber(drop[3]) then
  return {'error', 'deal_not_active'}
end
redis.call('HSET', drop_key, 'draw_at', now,
  'entries_close_at', math.min(tonumber(drop[2]), now))
return {'ok', now}
