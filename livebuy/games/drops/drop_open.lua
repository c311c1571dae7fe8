-- Open a lottery deal's run: its entry window and the seed committed to (sha256 published with
-- the cue). A second open of the same run (a failover re-publishing the cue) changes nothing and
-- answers what the first stored, so the cue always carries the commitment that will be revealed.
local drop_key = KEYS[1]
local deal_id = ARGV[1]
local started_at = ARGV[2]
local entries_close_at = ARGV[3]
local draw_at = ARGV[4]
local seed = ARGV[5]
local seed_hash = ARGV[6]
local units = ARGV[7]
local per_customer_limit = ARGV[8]
local pay_hold_ms = ARGV[9]
local waitlist_max = ARGV[10]
local product_id = ARGV[11]
local ttl_ms = ARGV[12]

if redis.call('EXISTS', drop_key) == 0 then
  redis.call('HSET', drop_key, 'deal_id', deal_id, 'started_at', started_at,
    'entries_close_at', entries_close_at, 'draw_at', draw_at, 'seed', seed,
    'seed_hash', seed_hash, 'units', units, 'per_customer_limit', per_customer_limit,
    'pay_hold_ms', pay_hold_ms, 'waitlist_max', waitlist_max, 'product_id', product_id,
    'status', 'entries')
  redis.call('PEXPIRE', drop_key, ttl_ms)
end
return redis.call('HMGET', drop_key, 'seed_hash', 'entries_close_at', 'pay_hold_ms')
