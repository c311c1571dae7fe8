-- Move a batch of one show's order changes through the funnel, in order, each one as its own
-- step: checkout (created), paid, abandoned (expired or cancelled unpaid) or refunded (cancelled
-- after paying). A batch per call: each script call has a fixed cost to Redis, which a call per
-- order paid on every buy. The order's funnel state is kept under the show's tag, so a
-- transition counts once however often the orders stream is re-read, and paying, abandoning or
-- refunding is credited to the cue of the order's first counted change (its checkout).
-- Refunding takes back exactly what paying counted (the sessions' HyperLogLogs cannot forget,
-- so only the counters move). Only checkout and paid add the session to a step's HyperLogLogs:
-- abandoning is counted in orders.
--
-- Each change is [order id, transition, cue, session, units, revenue, currency, deal id, index
-- in KEYS of its cue's step HyperLogLog (0 for abandoned and refunded, which add no session)].
-- Its cue is the one on air at the change, unless the order has a funnel state, whose cue wins:
-- the caller works the cue out the same way to name that step key (a script may only touch the
-- keys it is given). Returns how many changes counted.
local orders_key = KEYS[1]
local cues_key = KEYS[2]
local counts_key = KEYS[3]
local show_checkout_key = KEYS[4]
local show_paid_key = KEYS[5]
local changes = cjson.decode(ARGV[1])
local ttl_ms = tonumber(ARGV[2])

-- From which states each transition may happen (anything else was counted already).
local allowed = {
  checkout = {none = true},
  paid = {none = true, checkout = true},
  abandoned = {none = true, checkout = true},
  refunded = {paid = true},
}
local show_step_keys = {checkout = show_checkout_key, paid = show_paid_key}

local function bump(order, prefix, sign)
  redis.call('HINCRBY', counts_key, prefix .. '|paid_orders', sign)
  redis.call('HINCRBY', counts_key, prefix .. '|paid_units', sign * order['units'])
  redis.call('HINCRBY', counts_key, prefix .. '|revenue:' .. order['currency'], sign * order['revenue'])
end

local counted = 0
-- The step HyperLogLogs a session was added to: each is given its TTL once, at the end.
local stepped = {}
for _, change in ipairs(changes) do
  local order_id, transition, cue, session = change[1], change[2], change[3], change[4]
  local raw = redis.call('HGET', orders_key, order_id)
  local order = nil
  if raw then order = cjson.decode(raw) end
  local status = order and order['status'] or 'none'
  if allowed[transition][status] then
    if order then
      cue = order['cue']
    else
      order = {cue = cue}
    end
    if transition == 'paid' then
      order['units'], order['revenue'], order['currency'] = change[5], change[6], change[7]
      order['deal'] = change[8]
      bump(order, cue, 1)
      if order['deal'] ~= '' then bump(order, 'deal_sales:' .. order['deal'], 1) end
    elseif transition == 'refunded' then
      bump(order, cue, -1)
      if order['deal'] ~= '' then bump(order, 'deal_sales:' .. order['deal'], -1) end
      redis.call('HINCRBY', counts_key, cue .. '|refunded_orders', 1)
    else
      redis.call('HINCRBY', counts_key, cue .. '|' .. transition .. '_orders', 1)
    end
    redis.call('SADD', cues_key, cue)
    local show_step_key = show_step_keys[transition]
    if show_step_key then
      local cue_step_key = KEYS[change[9]]
      redis.call('PFADD', show_step_key, session)
      redis.call('PFADD', cue_step_key, session)
      stepped[show_step_key] = true
      stepped[cue_step_key] = true
    end
    order['status'] = transition
    redis.call('HSET', orders_key, order_id, cjson.encode(order))
    counted = counted + 1
  end
end
-- What a counted change touched lives FUNNEL_TTL_MS from now, as if each had set it.
if counted > 0 then
  redis.call('PEXPIRE', cues_key, ttl_ms)
  redis.call('PEXPIRE', orders_key, ttl_ms)
  redis.call('PEXPIRE', counts_key, ttl_ms)
  for key in pairs(stepped) do
    redis.call('PEXPIRE', key, ttl_ms)
  end
end
return counted
