-- Credit a session's wallet once per (source, ref): a retried credit finds its ref and pays
-- nothing. Expired lots are settled first, so the ledger stays in step with the lots.
local lots_key = KEYS[1]
local expiries_key = KEYS[2]
local ledger_key = KEYS[3]
local refs_key = KEYS[4]
local now = tonumber(ARGV[1])
local currency = ARGV[2]
local amount = tonumber(ARGV[3])
local source = ARGV[4]
local ref = ARGV[5]
local expires_at = tonumber(ARGV[6])
local w = {lots = lots_key, expiries = expiries_key, ledger = ledger_key, refs = refs_key}

wallet_expire(w, now)
if redis.call('SISMEMBER', w.refs, source .. ':' .. ref) == 1 then
  return 0
end
-- Checked here, after the ref: a retry of a credit that was paid answers "already", not "late".
if expires_at <= now then
  return -1
end
redis.call('SADD', w.refs, source .. ':' .. ref)
wallet_add_lot(w, now, 'c:' .. source .. ':' .. ref, currency, amount, expires_at, source, ref)
return 1
