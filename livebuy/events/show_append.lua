-- Append one event to a show: assign the next seq, add it to the stream and apply its state
-- changes in one atomic step, so a snapshot's state always matches its seq.
local seq_key = KEYS[1]
local events_key = KEYS[2]
local state_key = KEYS[3]
local epoch_key = KEYS[4]
local dedupe_key = KEYS[5]
local event_type = ARGV[1]
local at = ARGV[2]
local data = ARGV[3]
local state_ops = ARGV[4]
local maxlen = ARGV[5]
local fresh_epoch = ARGV[6]
local dedupe_ttl_ms = ARGV[7]
-- Without a dedupe id the key is still one of the show's (a cluster routes a script by its keys,
-- and refuses keys of two slots), and the TTL is 0: no marker is read or written.

-- A run-sheet cue of one run is published at most once, whichever player gets there first.
if dedupe_ttl_ms ~= '0' then
  local previous = redis.call('GET', dedupe_key)
  if previous then
    return {0, tonumber(previous)}
  end
end

redis.call('SET', epoch_key, fresh_epoch, 'NX')
local seq = redis.call('INCR', seq_key)
redis.call('XADD', events_key, 'MAXLEN', '~', maxlen, '0-' .. seq,
  'type', event_type, 'at', at, 'data', data)

for _, op in ipairs(cjson.decode(state_ops)) do
  if op[1] == 'set' then
    redis.call('HSET', state_key, op[2], op[3])
  elseif op[1] == 'del' then
    redis.call('HDEL', state_key, op[2])
  elseif op[1] == 'del_prefix' then
    for _, field in ipairs(redis.call('HKEYS', state_key)) do
      if string.sub(field, 1, string.len(op[2])) == op[2] then
        redis.call('HDEL', state_key, field)
      end
    end
  end
end

if dedupe_ttl_ms ~= '0' then
  redis.call('SET', dedupe_key, seq, 'PX', dedupe_ttl_ms)
end
return {1, seq}
