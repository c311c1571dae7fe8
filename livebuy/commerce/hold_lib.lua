-- Functions shared by the hold scripts of a single record (deal_hold.lua, coupon_hold.lua). This
-- file is prepended to those scripts' source, so it only defines functions: it reads no KEYS or
-- ARGV itself.
--
-- A hold is one key whose value says what the order took (absent: nothing yet; 'released': a
-- tombstone, the order was given up).

-- 'release' or 'discard' a hold whose value is `held`: `give_back(held)` returns what a live
-- hold took. 'release' leaves a tombstone (refusing a late reserve); 'discard', by the request
-- that reserved, leaves no trace.
local function hold_release(hold_key, held, action, tombstone_ms, give_back)
  if held and held ~= 'released' then
    give_back(held)
  end
  if action == 'discard' then
    if held ~= 'released' then redis.call('DEL', hold_key) end
  elseif held ~= 'released' then
    redis.call('SET', hold_key, 'released', 'PX', tombstone_ms)
  end
  return {'ok'}
end

-- The answer to a reserve of a hold that exists, or nil (none yet): a tombstone refuses it
-- (`line` is the refusal's line), a live hold answers what it took again.
local function hold_replay(held, line)
  if held == 'released' then
    return {'error', 'aborted', line, 'the order was given up'}
  end
  if held then
    return {'ok', held}
  end
  return nil
end
