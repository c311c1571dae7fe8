-- Open a giveaway (or find it open already: a failed-over player publishing the same cue
-- again gets the same commitment). A closed giveaway of the same id starts afresh.
local giveaway_key = KEYS[1]
local entries_key = KEYS[2]
local ips_key = KEYS[3]
local index_key = KEYS[4]
local giveaway_id = ARGV[1]
local terms = ARGV[2]
local seed = ARGV[3]
local commitment = ARGV[4]
local opened_at = ARGV[5]
local ends_at = ARGV[6]
local require_chatted = ARGV[7]
local require_favourite = ARGV[8]
local require_purchase = ARGV[9]

local status = redis.call('HGET', giveaway_key, 'status')
if status == 'open' or status == 'drawing' then
  return {0, redis.call('HGET', giveaway_key, 'commitment'),
          redis.call('HGET', giveaway_key, 'ends_at')}
end
redis.call('DEL', giveaway_key, entries_key, ips_key)
redis.call('HSET', giveaway_key, 'status', 'open', 'terms', terms, 'seed', seed,
           'commitment', commitment, 'opened_at', opened_at, 'ends_at', ends_at,
           'require_chatted', require_chatted, 'require_favourite', require_favourite,
           'require_purchase', require_purchase)
redis.call('ZADD', index_key, opened_at, giveaway_id)
return {1, commitment, ends_at}
