-- Move one order of a show through the funnel: checkout (created), paid, abandoned (expired or
-- cancelled unpaid) or refunded (cancelled after paying). The order's funnel state is kept under
-- the show's tag, so a transition counts once however often the orders stream is re-read, and
-- paying or abandoning is credited to the cue of its checkout. Refunding takes back exactly what
-- paying counted (the sessions' HyperLogLogs cannot forget, so only the counters move). Only
-- checkout and paid add the session to a step's HyperLogLogs: abandoning is counted in orders.
local orders_key = KEYS[1]
local cues_key = KEYS[2]
local show_step_key = KEYS[3]
local cue_step_key = KEYS[4]
local counts_key = KEYS[5]
local order_id = ARGV[1]
local transition = ARGV[2]
local cue = ARGV[3]
local session = ARGV[4]
local units = tonumber(ARGV[5])
local revenue = tonumber(ARGV[6])
local currency = ARGV[7]
local deal_id = ARGV[8]
local ttl_ms = tonumber(ARGV[9])

local raw = redis.call('HGET', orders_key, order_id)
local order = nil
if raw then order = cjson.decode(raw) end
local status = order and order['status'] or 'none'

-- From which states each transition may happen (anything else was counted already).
local allowed = {
  checkout = {none = true},
  paid = {none = true, checkout = true},
  abandoned = {none = true, checkout = true},
  refunded = {paid = true},
}
if not allowed[transition][status] then
  return 0
end
if order then
  cue = order['cue']
else
  order = {cue = cue}
end

local function bump(prefix, sign)
  redis.call('HINCRBY', counts_key, prefix .. '|paid_orders', sign)
  redis.call('HINCRBY', counts_key, prefix .. '|paid_units', sign * order['units'])
  redis.call('HINCRBY', counts_key, prefix .. '|revenue:' .. order['currency'], sign * order['revenue'])
end

if transition == 'paid' then
  order['units'], order['revenue'], order['currency'] = units, revenue, currency
  order['deal'] = deal_id
  bump(cue, 1)
  if deal_id ~= '' then bump('deal_sales:' .. deal_id, 1) end
elseif transition == 'refunded' then
  bump(cue, -1)
  if order['deal'] ~= '' then bump('deal_sales:' .. order['deal'], -1) end
  redis.call('HINCRBY', counts_key, cue .. '|refunded_orders', 1)
else
  redis.call('HINCRBY', counts_key, cue .. '|' .. transition .. '_orders', 1)
end
redis.call('SADD', cues_key, cue)
redis.call('PEXPIRE', cues_key, ttl_ms)
if transition == 'checkout' or transition == 'paid' then
  redis.call('PFADD', show_step_key, session)
  redis.call('PFADD', cue_step_key, session)
  redis.call('PEXPIRE', show_step_key, ttl_ms)
  redis.call('PEXPIRE', cue_step_key, ttl_ms)
end
order['status'] = transition
redis.call('HSET', orders_key, order_id, cjson.encode(order))
redis.call('PEXPIRE', orders_key, ttl_ms)
redis.call('PEXPIRE', counts_key, ttl_ms)
return 1
