-- One order's units of a flash deal run (the show's slot): 'reserve' checks that the deal runs
-- (the run that started at started_at, not in its lottery phase), that the lines are its
-- product in its currency, and its cap and per-customer limit, then takes the units; 'release'
-- gives them back. The hold records what was taken, so both are idempotent by order id; a
-- release before any reserve leaves a tombstone that refuses a late reserve. Loaded after
-- hold_lib.lua (hold_release, hold_replay).
local state_key = KEYS[1]
local counters_key = KEYS[2]
local hold_key = KEYS[3]
local action = ARGV[1]
local now = tonumber(ARGV[2])
local customer = ARGV[3]
local deal_id = ARGV[4]
local deal_started_at = ARGV[5]
local deal_field = ARGV[6]
local lottery_field = ARGV[7]
local lines = cjson.decode(ARGV[8])
local tombstone_ms = tonumber(ARGV[9])

local held = redis.call('GET', hold_key)
-- 'discard': a release by the request that reserved, which leaves no trace (hold_lib.lua).
if action == 'release' or action == 'discard' then
  return hold_release(hold_key, held, action, tombstone_ms, function(value)
    local units = cjson.decode(value)['units']
    redis.call('HINCRBY', counters_key, 'taken', -units)
    redis.call('HINCRBY', counters_key, 'c:' .. customer, -units)
  end)
end
local replay = hold_replay(held, 0)
if replay then
  return replay
end
local function refuse(code, line, detail)
  return {'error', code, line, detail}
end
local raw = redis.call('HGET', state_key, deal_field)
if not raw then
  return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not running')
end
local deal = cjson.decode(raw)
local ends_at = deal['ends_at']
if tostring(deal['started_at']) ~= deal_started_at or now < deal['started_at']
    or (ends_at ~= cjson.null and now >= ends_at) then
  return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not running')
end
-- A lottery deal sells first-come only once its draw and waitlist are over (a winner's own
-- order comes from the drop, which passes no lottery field).
if lottery_field ~= '' then
  local lottery = redis.call('HGET', state_key, lottery_field)
  if lottery then
    lottery = cjson.decode(lottery)
    if tostring(lottery['started_at']) == deal_started_at and lottery['phase'] ~= 'first_come' then
      return refuse('deal_in_lottery', 0, 'deal ' .. deal_id .. ' is being drawn by lottery')
    end
  end
end
local units, deal_line = 0, -1
for index, line in ipairs(lines) do
  if line['product_id'] == deal['product_id'] then
    if deal['deal_price']['currency'] ~= line['currency'] then
      return refuse('deal_not_active', index - 1, 'deal is priced in another currency')
    end
    if deal_line < 0 then deal_line = index - 1 end
    units = units + line['quantity']
  end
end
if units == 0 then
  return refuse('deal_not_active', 0, 'deal ' .. deal_id .. ' is not for these items')
end
local taken = tonumber(redis.call('HGET', counters_key, 'taken') or '0')
if taken + units > deal['units'] then
  return refuse('out_of_stock', deal_line, 'deal sold out')
end
local mine = tonumber(redis.call('HGET', counters_key, 'c:' .. customer) or '0')
if mine + units > deal['per_customer_limit'] then
  return refuse('limit_exceeded', deal_line, 'at most ' .. deal['per_customer_limit'] .. ' per customer')
end
redis.call('HINCRBY', counters_key, 'taken', units)
redis.call('HINCRBY', counters_key, 'c:' .. customer, units)
held = cjson.encode({units = units, product_id = deal['product_id'],
  price = deal['deal_price']['amount']})
redis.call('SET', hold_key, held)
return {'ok', held}
