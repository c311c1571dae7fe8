-- Every change of a live auction, one atomic step each: start, bid, close, cancel, settle.
-- Each step that changes what viewers see appends the auction's public state to the show stream
-- in the same step (all keys carry the show's hash tag), so the stream's order of auction events
-- is the order in which the steps (bids) were accepted.
local auction_key = KEYS[1]
local bidders_key = KEYS[2]
local open_key = KEYS[3]
local settling_key = KEYS[4]
local seq_key = KEYS[5]
local events_key = KEYS[6]
local state_key = KEYS[7]
local epoch_key = KEYS[8]
local dedupe_key = KEYS[9]
local action = ARGV[1]
local now_arg = ARGV[2]
local maxlen = ARGV[3]
local fresh_epoch = ARGV[4]

-- One clock judges every process's bids: Redis's own (a test passes its clock instead).
local now
if now_arg ~= '' then
  now = tonumber(now_arg)
else
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function append(event_type, at, data)
  redis.call('SET', epoch_key, fresh_epoch, 'NX')
  local seq = redis.call('INCR', seq_key)
  redis.call('XADD', events_key, 'MAXLEN', '~', maxlen, '0-' .. seq,
    'type', event_type, 'at', at, 'data', data)
  return seq
end

local function load()
  local flat = redis.call('HGETALL', auction_key)
  if #flat == 0 then
    return nil
  end
  local a = {}
  for i = 1, #flat, 2 do
    a[flat[i]] = flat[i + 1]
  end
  for _, name in ipairs({'start_price', 'started_at', 'ends_at', 'price', 'leader_max',
      'version', 'bids', 'extend_ms', 'next_order'}) do
    a[name] = tonumber(a[name])
  end
  a.ladder_table = cjson.decode(a.ladder)
  return a
end

local function increment(a, price)
  local step = a.ladder_table[1][2]
  for _, rung in ipairs(a.ladder_table) do
    if price >= rung[1] then
      step = rung[2]
    end
  end
  return step
end

local function min_next(a)
  if a.leader == nil or a.leader == '' then
    return a.start_price
  end
  return a.price + increment(a, a.price)
end

local function nullable(value)
  if value == nil or value == '' then
    return cjson.null
  end
  return value
end

-- The public state: never a session id, only the leader's public handle and display name.
local function publish(a, extended)
  local state = {
    auction_id = a.auction_id, status = a.status, sku = a.sku, product_id = a.product_id,
    currency = a.currency, start_price = a.start_price, price = a.price, min_next = min_next(a),
    leader_handle = nullable(a.leader_handle), leader_name = nullable(a.leader_name),
    bids = a.bids, version = a.version, mode = a.mode, extend_ms = a.extend_ms,
    started_at = a.started_at, ends_at = a.ends_at, extended = extended,
    ladder = a.ladder_table, cue_id = a.cue_id, reason = nullable(a.reason),
  }
  local data = cjson.encode(state)
  redis.call('HSET', state_key, 'auction:' .. a.auction_id, data)
  return append('auction', now, data)
end

local function save(a, fields)
  local flat = {}
  for _, name in ipairs(fields) do
    table.insert(flat, name)
    table.insert(flat, a[name] == nil and '' or a[name])
  end
  redis.call('HSET', auction_key, unpack(flat))
end

if action == 'start' then
  local cue_id = ARGV[5]
  local config = cjson.decode(ARGV[6])
  local duration_ms = tonumber(ARGV[7])
  local data_prefix = ARGV[8]
  local at = ARGV[9]
  local dedupe_ttl_ms = ARGV[10]
  local refused = ARGV[11]
  local strict = ARGV[12] == '1'
  if dedupe_ttl_ms ~= '0' then
    local previous = redis.call('GET', dedupe_key)
    if previous then
      return {'ok', 'duplicate', tonumber(previous)}
    end
  end
  if refused == '' and redis.call('HGET', auction_key, 'status') == 'open' then
    refused = 'auction_running'
  end
  if refused ~= '' and strict then
    return {'error', refused}
  end
  local ends_at = now + duration_ms
  local data
  if refused ~= '' then
    data = data_prefix .. ',"refused":"' .. refused .. '"}'
  else
    data = data_prefix .. ',"started_at":' .. now .. ',"ends_at":' .. ends_at .. '}'
  end
  -- The cue first, then the auction's state: a viewer sees the product before its price moves.
  local seq = append('cue', at, data)
  if refused == '' then
    redis.call('DEL', auction_key, bidders_key)
    local a = {
      auction_id = config.auction_id, cue_id = cue_id, status = 'open', sku = config.sku,
      product_id = config.product_id, currency = config.currency,
      start_price = config.start_price, ladder = cjson.encode(config.ladder), mode = config.mode,
      extend_ms = config.extend_ms, started_at = now, ends_at = ends_at,
      price = config.start_price, leader = '', leader_max = 0, leader_handle = '',
      leader_name = '', version = 1, bids = 0, next_order = 0, reason = '',
    }
    save(a, {'auction_id', 'cue_id', 'status', 'sku', 'product_id', 'currency', 'start_price',
      'ladder', 'mode', 'extend_ms', 'started_at', 'ends_at', 'price', 'leader', 'leader_max',
      'leader_handle', 'leader_name', 'version', 'bids', 'next_order', 'reason'})
    a.ladder_table = config.ladder
    redis.call('ZADD', open_key, ends_at, a.auction_id)
    redis.call('ZREM', settling_key, a.auction_id)
    publish(a, false)
  end
  if dedupe_ttl_ms ~= '0' then
    redis.call('SET', dedupe_key, seq, 'PX', dedupe_ttl_ms)
  end
  return {'ok', refused == '' and 'started' or refused, seq, now, ends_at}
end

local a = load()
if a == nil then
  return {'error', 'unknown_auction'}
end

if action == 'bid' then
  local bidder = ARGV[5]
  local handle = ARGV[6]
  local name = ARGV[7]
  local kind = ARGV[8]
  local value = tonumber(ARGV[9])
  -- Closed means closed: a bid at or after ends_at is refused even if the close has not run.
  if a.status ~= 'open' or now >= a.ends_at then
    return {'error', 'auction_closed', a.ends_at, now}
  end
  local raw = redis.call('HGET', bidders_key, bidder)
  local record = raw and cjson.decode(raw) or {max = 0}
  a.next_order = a.next_order + 1
  if a.leader == bidder then
    if kind ~= 'max' then
      return {'error', 'already_leading', a.price}
    end
    if value <= a.leader_max then
      return {'error', 'bid_too_low', a.leader_max + 1}
    end
    -- The leader raises their ceiling: nothing public changes, no event, no extension.
    a.leader_max = value
    redis.call('HSET', bidders_key, bidder, cjson.encode({max = value, order = a.next_order,
      handle = handle, name = name}))
    save(a, {'leader_max', 'next_order'})
    return {'ok', 'leading', a.price, a.ends_at, a.version, 0, a.leader_max}
  end
  local floor = min_next(a)
  if value < floor then
    return {'error', 'bid_too_low', floor}
  end
  local outcome
  if a.leader == '' then
    a.price = kind == 'max' and floor or value
    outcome = 'leading'
  elseif value > a.leader_max then
    if kind == 'max' then
      -- Second price: just enough to beat the old leader's ceiling.
      a.price = math.max(floor, math.min(value, a.leader_max + increment(a, a.leader_max)))
    else
      a.price = value
    end
    outcome = 'leading'
  else
    -- The leader's proxy answers for them; at a tie the earlier ceiling wins.
    a.price = math.min(a.leader_max, value + increment(a, value))
    outcome = 'outbid'
  end
  if outcome == 'leading' then
    a.leader = bidder
    a.leader_max = value
    a.leader_handle = handle
    a.leader_name = name
  end
  if math.max(record.max, 0) < value then
    redis.call('HSET', bidders_key, bidder, cjson.encode({max = value, order = a.next_order,
      handle = handle, name = name}))
  end
  local extended = false
  if a.mode == 'extend' and a.ends_at - now < a.extend_ms then
    a.ends_at = now + a.extend_ms
    extended = true
    redis.call('ZADD', open_key, a.ends_at, a.auction_id)
  end
  a.bids = a.bids + 1
  a.version = a.version + 1
  save(a, {'price', 'leader', 'leader_max', 'leader_handle', 'leader_name', 'ends_at', 'bids',
    'version', 'next_order'})
  local seq = publish(a, extended)
  return {'ok', outcome, a.price, a.ends_at, a.version, seq, outcome == 'leading' and value or 0}
end

if action == 'close' then
  if a.status ~= 'open' then
    redis.call('ZREM', open_key, a.auction_id)
    return {'ok', 'noop', a.status}
  end
  if now < a.ends_at then
    return {'ok', 'noop', 'open', a.ends_at}
  end
  redis.call('ZREM', open_key, a.auction_id)
  if a.leader == '' then
    a.status = 'unsold'
    a.reason = 'no_bids'
  else
    a.status = 'closed'
    a.winner = a.leader
    a.winner_price = a.price
    redis.call('ZADD', settling_key, now, a.auction_id)
  end
  a.version = a.version + 1
  save(a, {'status', 'reason', 'version', 'winner', 'winner_price'})
  publish(a, false)
  return {'ok', a.status, a.leader, a.price}
end

if action == 'cancel' then
  local data = ARGV[5]
  local at = ARGV[6]
  local dedupe_ttl_ms = ARGV[7]
  if dedupe_ttl_ms ~= '0' then
    local previous = redis.call('GET', dedupe_key)
    if previous then
      return {'ok', 'duplicate', tonumber(previous)}
    end
  end
  if a.status ~= 'open' then
    return {'error', 'auction_closed', a.ends_at, now}
  end
  local seq = append('cue', at, data)
  redis.call('ZREM', open_key, a.auction_id)
  a.status = 'cancelled'
  a.reason = 'cancelled'
  a.version = a.version + 1
  save(a, {'status', 'reason', 'version'})
  publish(a, false)
  if dedupe_ttl_ms ~= '0' then
    redis.call('SET', dedupe_key, seq, 'PX', dedupe_ttl_ms)
  end
  return {'ok', 'cancelled', seq}
end

if action == 'settle' then
  -- One step of settling (the elected closer's): only from the status it read, so a step
  -- repeated after a failover changes nothing.
  local expected = ARGV[5]
  local status = ARGV[6]
  local fields = cjson.decode(ARGV[7])
  local next_at = ARGV[8]
  if a.status ~= expected then
    return {'ok', 'noop', a.status}
  end
  local names = {'status', 'version'}
  for name, value in pairs(fields) do
    a[name] = value
    table.insert(names, name)
  end
  local public_change = a.status ~= status or fields.price ~= nil or fields.leader_handle ~= nil
  a.status = status
  if next_at == '' then
    redis.call('ZREM', settling_key, a.auction_id)
  else
    redis.call('ZADD', settling_key, tonumber(next_at), a.auction_id)
  end
  if public_change then
    a.version = a.version + 1
  end
  save(a, names)
  if public_change then
    publish(a, false)
  end
  return {'ok', status}
end

-- Only the wrapper calls this script: another action is a programming error, not a refusal.
return redis.error_reply('auction_step: unknown action ' .. action)
