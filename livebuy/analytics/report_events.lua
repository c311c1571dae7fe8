-- One page of a show's event stream for the report, filtered in Redis: only the entries of the
-- wanted types come back (chat and reactions, most of a stream, are never sent to the client).
-- A page is short (COUNT), so reading a long stream never blocks Redis for long.
local events_key = KEYS[1]
local start = ARGV[1]
local count = tonumber(ARGV[2])
local wanted = ARGV[3]

local types = {}
for name in string.gmatch(wanted, '[^,]+') do
  types[name] = true
end
local page = redis.call('XRANGE', events_key, start, '+', 'COUNT', count)
local found = {}
for _, entry in ipairs(page) do
  local fields, row = entry[2], {}
  for index = 1, #fields, 2 do
    row[fields[index]] = fields[index + 1]
  end
  if types[row['type']] then
    table.insert(found, {entry[1], row['type'], row['at'] or '0', row['data'] or '{}'})
  end
end
local last = ''
if #page > 0 then
  last = page[#page][1]
end
return {last, #page, found}
