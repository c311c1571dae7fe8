-- Settle a wallet before it is read: lots whose expiry has come leave it with a ledger entry.
local w = {lots = KEYS[1], expiries = KEYS[2], ledger = KEYS[3], refs = KEYS[4]}
local now = tonumber(ARGV[1])

wallet_expire(w, now)
return 1
