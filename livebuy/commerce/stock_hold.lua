-- One order's lines of one stock bucket, in one step: 'reserve' (all or nothing: every line's
-- units available -> reserved), 'sell' (reserved -> sold) or 'release' (reserved or sold ->
-- available; 'discard' is a release by the request that reserved, which leaves no trace). Each
-- line's hold records its state, so every action is idempotent by order id and only moves
-- forward; releasing a line never reserved leaves a tombstone that refuses a late reserve (its
-- order was given up). KEYS after the first: inventory, hold, per line.
local dirty_key = KEYS[1]
local action = ARGV[1]
local quantities = cjson.decode(ARGV[2])
local products = cjson.decode(ARGV[3])
local tombstone_ms = tonumber(ARGV[4])

local function inventory_of(index) return KEYS[2 * index] end
local function hold_of(index) return KEYS[2 * index + 1] end

if action == 'reserve' then
  for index, quantity in ipairs(quantities) do
    local state = redis.call('GET', hold_of(index))
    if state == 'released' then
      return {'error', 'aborted', index - 1, 'the order was given up'}
    end
    if not state then
      local available = tonumber(redis.call('HGET', inventory_of(index), 'available') or '0')
      if available < quantity then
        return {'error', 'out_of_stock', index - 1, available .. ' left'}
      end
    end
  end
  for index, quantity in ipairs(quantities) do
    if not redis.call('GET', hold_of(index)) then
      redis.call('HINCRBY', inventory_of(index), 'available', -quantity)
      redis.call('HINCRBY', inventory_of(index), 'reserved', quantity)
      redis.call('SET', hold_of(index), 'reserved')
      redis.call('SADD', dirty_key, products[index])
    end
  end
  return {'ok'}
end

for index, quantity in ipairs(quantities) do
  local hold_key = hold_of(index)
  local state = redis.call('GET', hold_key)
  if action == 'sell' then
    if state == 'reserved' then
      redis.call('HINCRBY', inventory_of(index), 'reserved', -quantity)
      redis.call('HINCRBY', inventory_of(index), 'sold', quantity)
      redis.call('SET', hold_key, 'sold')
      redis.call('SADD', dirty_key, products[index])
    end
  elseif state ~= 'released' then
    if state == 'reserved' or state == 'sold' then
      redis.call('HINCRBY', inventory_of(index), state, -quantity)
      redis.call('HINCRBY', inventory_of(index), 'available', quantity)
      redis.call('SADD', dirty_key, products[index])
    end
    if action == 'discard' then
      redis.call('DEL', hold_key)
      -- The refused order's deal units come back too (another slot, held before the refusal): a
      -- frame for the product says so, and clears a sold-out flag a buyer refused meanwhile set.
      redis.call('SADD', dirty_key, products[index])
    else
      redis.call('SET', hold_key, 'released', 'PX', tombstone_ms)
    end
  end
end
return {'ok'}
