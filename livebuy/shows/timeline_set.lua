-- Change a show's timeline (rehearsal speed, pause) in one read-modify-write step: the new
-- segment is anchored where the current one has the play head at `now`, so the sheet position
-- never jumps, whichever process asks and whichever process plays the sheet.
local timeline_key = KEYS[1]
local now = tonumber(ARGV[1])
local new_speed = ARGV[2]
local new_paused = ARGV[3]
local default_wall = tonumber(ARGV[4])
local default_speed = tonumber(ARGV[5])
local max_segments = tonumber(ARGV[6])

local raw = redis.call('GET', timeline_key)
local timeline
if raw then
  timeline = cjson.decode(raw)
else
  -- Nobody re-timed this show yet: it has played at the configured speed since its start.
  timeline = {version = 0, segments = {
    {wall_ms = default_wall, sheet_ms = 0, speed = default_speed, paused = false}}}
end
local segments = timeline.segments
local last = segments[#segments]

local speed = last.speed
if new_speed ~= '' then speed = tonumber(new_speed) end
local paused = last.paused
if new_paused ~= '' then paused = new_paused == '1' end
if speed == last.speed and paused == last.paused then
  return {0, raw or cjson.encode(timeline)}
end

-- Never anchor before the current anchor (a caller's clock behind, or a show not started yet):
-- the segments stay ordered and a change before the start keeps the start where it is.
local at = math.max(now, last.wall_ms)
local rate = last.speed
if last.paused then rate = 0 end
local sheet = math.floor(last.sheet_ms + (at - last.wall_ms) * rate)
local segment = {wall_ms = at, sheet_ms = sheet, speed = speed, paused = paused}
if at == last.wall_ms then
  segment.sheet_ms = last.sheet_ms
  segments[#segments] = segment
else
  segments[#segments + 1] = segment
end
while #segments > max_segments do
  table.remove(segments, 1)
end
timeline.version = timeline.version + 1
local encoded = cjson.encode(timeline)
redis.call('SET', timeline_key, encoded)
return {1, encoded}
