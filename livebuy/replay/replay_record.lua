-- Record a batch of one run's show events for replay, only while the caller holds the replay
-- lease and only if the recorder is where the caller thinks (a stale holder's batch is refused).
-- Returns 1 when recorded, 0 without the lease, -1 when the recorder moved on meanwhile.
local lease_key = KEYS[1]
local recorder_key = KEYS[2]
local runs_key = KEYS[3]
local timeline_key = KEYS[4]
local changes_key = KEYS[5]
local checkpoints_key = KEYS[6]
local drop_timeline_key = KEYS[7]
local drop_changes_key = KEYS[8]
local drop_checkpoints_key = KEYS[9]
local owner = ARGV[1]
local expected = ARGV[2]
local recorder = ARGV[3]
local run = ARGV[4]
local run_start = ARGV[5]
local drop_run = ARGV[6]
local ttl_ms = ARGV[7]
local members = cjson.decode(ARGV[8])

if redis.call('GET', lease_key) ~= owner then
  return 0
end
local stored = redis.call('GET', recorder_key)
local stored_seq = ''
if stored then
  stored_seq = tostring(cjson.decode(stored).seq)
end
if stored_seq ~= expected then
  return -1
end

redis.call('ZADD', runs_key, run_start, run)
redis.call('ZREM', runs_key, drop_run)
redis.call('DEL', drop_timeline_key, drop_changes_key, drop_checkpoints_key)
local targets = {timeline = timeline_key, changes = changes_key, checkpoints = checkpoints_key}
for _, item in ipairs(members) do
  -- item = {target, score, member}; ZADD of the same member again changes nothing.
  redis.call('ZADD', targets[item[1]], item[2], item[3])
end
redis.call('SET', recorder_key, recorder)
for _, key in ipairs({runs_key, timeline_key, changes_key, checkpoints_key, recorder_key}) do
  redis.call('PEXPIRE', key, ttl_ms)
end
return 1
