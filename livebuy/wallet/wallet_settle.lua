-- Settle a wallet before it is read: lots whose expiry has come leave it with a ledger entry.
local lots_key = KEYS[1]
local expiries_key = KEYS[2]
local ledger_key = KEYS[3]
local refs_key = KEYS[4]
local now = tonumber(ARGV[1])
local w = {lots = lots_key, expiries = expiries_key, ledger = ledger_key, refs = refs_key}

wallet_expire(w, now)
return 1
