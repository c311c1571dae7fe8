-- Write a drawn giveaway's results, once: only a giveaway still 'drawing' takes them.
local giveaway_key = KEYS[1]
local entries_hash = ARGV[1]
local winners = ARGV[2]
local grants = ARGV[3]
local entry_count = ARGV[4]

if redis.call('HGET', giveaway_key, 'status') ~= 'drawing' then
  return 0
end
redis.call('HSET', giveaway_key, 'status', 'closed', 'entries_hash', entries_hash,
           'winners', winners, 'grants', grants, 'entry_count', entry_count)
return 1
