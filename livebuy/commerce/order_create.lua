-- Create an order in one step on a single Redis: open it, take every hold, confirm it, or give it
-- all back, as order_scripts.py does step by step on a cluster. It runs the very scripts of
-- those steps: the Python side (order_scripts.py, whole_order_source) puts each one before this
-- driver as a function of its own KEYS and ARGV (step_order_open, step_stock_hold,
-- step_deal_hold, step_coupon_hold, step_order_confirm, step_order_sync), after the hold and
-- wallet libraries. Atomic, so no other client ever sees the order 'reserving': a refusal leaves
-- no trace but the stock frames its discarded holds ask for.
--
-- ARGV[1] is the layout, a JSON array of the steps in order, each {name, key count, arg count};
-- the steps' KEYS and ARGV follow one another in the same order, starting at KEYS[1] and ARGV[2].
-- The confirm step's priced lines, discount and deal units, and the coupon step's subtotal, are
-- placeholders this driver fills in from the holds' answers, as order_holds.py does.
local layout = cjson.decode(ARGV[1])

local steps = {}
local stock = {}
local next_key, next_arg = 1, 2
for _, entry in ipairs(layout) do
  local name, key_count, arg_count = entry[1], entry[2], entry[3]
  local step = {keys = {}, args = {}}
  for i = 1, key_count do step.keys[i] = KEYS[next_key + i - 1] end
  for i = 1, arg_count do step.args[i] = ARGV[next_arg + i - 1] end
  next_key, next_arg = next_key + key_count, next_arg + arg_count
  if name == 'stock_hold' then
    stock[#stock + 1] = step
  else
    steps[name] = step
  end
end

local open, confirm, sync = steps['order_open'], steps['order_confirm'], steps['order_sync']
local deal, coupon = steps['deal_hold'], steps['coupon_hold']
local now = open.args[1]
local order_id = open.args[2]

local opened = step_order_open(open.keys, open.args)
if opened[1] ~= 'ok' then
  return {'opened', opened}
end

-- order_holds.py's give_back: abort, discard every hold (one never taken is left as it was),
-- forget the order.
local function with_action(args, action)
  local copy = {}
  for i, value in ipairs(args) do copy[i] = value end
  copy[1] = action
  return copy
end
local function give_back()
  step_order_sync(sync.keys, {'abort', now, order_id, ''})
  for _, segment in ipairs(stock) do
    step_stock_hold(segment.keys, with_action(segment.args, 'discard'))
  end
  if deal then step_deal_hold(deal.keys, with_action(deal.args, 'discard')) end
  if coupon then
    local args = with_action(coupon.args, 'discard')
    args[5] = 0
    step_coupon_hold(coupon.keys, args)
  end
  step_order_sync(sync.keys, {'forget', now, order_id, ''})
end

-- Stock bucket by bucket, then the deal, then the coupon: the order order_holds.py takes them in.
for index, segment in ipairs(stock) do
  local reply = step_stock_hold(segment.keys, segment.args)
  if reply[1] == 'error' then
    give_back()
    return {'refused', reply, index}
  end
end

local priced = cjson.decode(open.args[6])
local deal_units = 0
if deal then
  local reply = step_deal_hold(deal.keys, deal.args)
  if reply[1] == 'error' then
    give_back()
    return {'refused', reply, 0}
  end
  local held = cjson.decode(reply[2])
  deal_units = held['units']
  for _, line in ipairs(priced) do
    if line['product_id'] == held['product_id'] then
      line['unit_price'] = held['price']
      line['deal_id'] = deal.args[4]
    end
  end
end

local discount = 0
if coupon then
  local subtotal = 0
  for _, line in ipairs(priced) do
    subtotal = subtotal + line['unit_price'] * line['quantity']
  end
  coupon.args[5] = subtotal
  local reply = step_coupon_hold(coupon.keys, coupon.args)
  if reply[1] == 'error' then
    give_back()
    return {'refused', reply, 0}
  end
  discount = tonumber(reply[2])
end

confirm.args[2] = cjson.encode(priced)
confirm.args[3] = discount
confirm.args[4] = deal_units
return {'confirmed', step_order_confirm(confirm.keys, confirm.args)}
