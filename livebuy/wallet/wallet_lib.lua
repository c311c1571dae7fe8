-- Functions shared by every script that moves store credit (the wallet's own scripts and the
-- order scripts that spend and return it). This file is prepended to those scripts' source, so
-- it only defines functions: it reads no KEYS or ARGV itself.
--
-- A wallet is four keys of one session, named in a table `w`: lots (hash lot id -> JSON
-- {id, currency, amount, original, expires_at, source, ref, at}), expiries (sorted set lot id ->
-- expires_at), ledger (list of JSON entries, newest first) and refs (set of 'source:ref' already
-- credited). Every change of a lot's amount writes one ledger entry, so per currency the lots'
-- amounts always add up to the ledger's signed amounts.

local function wallet_entry(w, now, currency, amount, source, ref, detail)
  local entry = {at = now, currency = currency, amount = amount, source = source, ref = ref}
  for name, value in pairs(detail or {}) do entry[name] = value end
  redis.call('LPUSH', w.ledger, cjson.encode(entry))
end

local function wallet_add_lot(w, now, lot_id, currency, amount, expires_at, source, ref)
  redis.call('HSET', w.lots, lot_id, cjson.encode({id = lot_id, currency = currency,
    amount = amount, original = amount, expires_at = expires_at, source = source, ref = ref,
    at = now}))
  redis.call('ZADD', w.expiries, expires_at, lot_id)
  wallet_entry(w, now, currency, amount, source, ref, {lot = lot_id})
end

-- Lots whose expiry has come leave the wallet with an 'expiry' debit of what was left in them.
local function wallet_expire(w, now)
  for _, lot_id in ipairs(redis.call('ZRANGEBYSCORE', w.expiries, '-inf', now)) do
    local raw = redis.call('HGET', w.lots, lot_id)
    redis.call('HDEL', w.lots, lot_id)
    redis.call('ZREM', w.expiries, lot_id)
    if raw then
      local lot = cjson.decode(raw)
      if lot['amount'] > 0 then
        wallet_entry(w, now, lot['currency'], -lot['amount'], 'expiry', lot_id, {lot = lot_id})
      end
    end
  end
end

-- Take up to `wanted` of `currency`, soonest-expiring lots first (expired ones never); returns
-- the amount taken and the pieces {lot, amount, expires_at} it came from. No ledger entry: the
-- caller writes one debit for the whole spend.
local function wallet_take(w, now, currency, wanted)
  wallet_expire(w, now)
  local taken, pieces = 0, {}
  for _, lot_id in ipairs(redis.call('ZRANGE', w.expiries, 0, -1)) do
    if taken >= wanted then break end
    local lot = cjson.decode(redis.call('HGET', w.lots, lot_id))
    if lot['currency'] == currency and lot['amount'] > 0 then
      local take = math.min(lot['amount'], wanted - taken)
      lot['amount'] = lot['amount'] - take
      taken = taken + take
      table.insert(pieces, {lot = lot_id, amount = take, expires_at = lot['expires_at']})
      if lot['amount'] == 0 then
        redis.call('HDEL', w.lots, lot_id)
        redis.call('ZREM', w.expiries, lot_id)
      else
        redis.call('HSET', w.lots, lot_id, cjson.encode(lot))
      end
    end
  end
  return taken, pieces
end

-- Give back what an order took (`pieces` from wallet_take), exactly once per call: each piece
-- becomes a new lot that keeps its old expiry, but lives at least `grace_ms` from now.
local function wallet_return(w, now, currency, pieces, order_id, grace_ms)
  for index, piece in ipairs(pieces) do
    local expires_at = math.max(piece['expires_at'], now + grace_ms)
    wallet_add_lot(w, now, 'r:' .. order_id .. ':' .. index, currency, piece['amount'],
      expires_at, 'refund', order_id)
  end
end

