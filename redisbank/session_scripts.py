"""The Lua scripts of the session store, one per change it makes.

Each runs atomically on the Redis server, so a check and the write that
depends on it cannot be split by another request; redisbank.sessions sends
them with the arguments each comment names. The helpers at the top are Lua
functions that several scripts share, prepended to their source.
"""

# Drops from a user's index the sessions that have gone: logged out, rotated,
# or past their deadline by this clock, which deletes them as a load would, so
# that a server whose clock lags cannot go on using a session nobody lists.
# Then sets the index to expire with the last live session, if any is left (a
# sorted set that loses its last member is deleted by Redis).
PRUNE = """
local function prune(index, now, key_prefix)
  local last = 0
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = key_prefix .. member
    local deadline = redis.call('PEXPIRETIME', key)
    if deadline <= now then
      redis.call('DEL', key)
      redis.call('ZREM', index, member)
    elseif deadline > last then
      last = deadline
    end
  end
  if last > 0 then redis.call('PEXPIREAT', index, last) end
end

local function reindex(index, digest, expires, now, key_prefix)
  redis.call('ZADD', index, expires, digest)
  prune(index, now, key_prefix)
end
"""

# Times are whole milliseconds, which string.format('%d') prints exactly.
IS_MS = """
local function is_ms(value)
  return type(value) == 'number' and value >= 0 and value < 2^53
    and value == math.floor(value)
end
"""

# KEYS: session, index. ARGV: document, deadline, now, digest, expires, prefix.
CREATE = (
    PRUNE
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('JSON.SET', KEYS[1], '$', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
reindex(KEYS[2], ARGV[4], ARGV[5], tonumber(ARGV[3]), ARGV[6])
return 1
"""
)

# ARGV: now, index prefix, digest, touch resolution, last-seen resolution.
# Replies: {'ok', document, last seen}, {'missing'}, {'expired'} or {'corrupt'}.
LOAD = (
    IS_MS
    + """
local raw = redis.pcall('JSON.GET', KEYS[1])
if type(raw) == 'table' then
  redis.call('DEL', KEYS[1])
  return {'corrupt'}
end
if not raw then return {'missing'} end
local decoded, doc = pcall(cjson.decode, raw)
local deadline = redis.call('PEXPIRETIME', KEYS[1])
if not decoded or type(doc) ~= 'table' or type(doc.username) ~= 'string'
    or not is_ms(doc.last_seen_ms) or not is_ms(doc.idle_timeout_ms)
    or not is_ms(doc.expires_at_ms) or deadline < 0 then
  redis.call('DEL', KEYS[1])
  return {'corrupt'}
end
local now = tonumber(ARGV[1])
if now >= deadline or now >= doc.expires_at_ms then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[2] .. doc.username, ARGV[3])
  return {'expired'}
end
-- The key's expiry is the idle deadline. A read moves it, and the index's
-- with it, unless that would gain less than the touch resolution: bursts of
-- requests stay read-only, and an old clock never moves a deadline back.
local moved = math.min(now + doc.idle_timeout_ms, doc.expires_at_ms)
if moved - deadline >= tonumber(ARGV[4]) then
  local at = string.format('%d', moved)
  redis.call('PEXPIREAT', KEYS[1], at)
  redis.call('PEXPIREAT', ARGV[2] .. doc.username, at, 'GT')
end
-- The last-seen time is for people reading a list of sessions, so it is only
-- rewritten when it is a whole resolution old: the JSON write is the dearest
-- step of a read, and the deadline alone decides whether a session is live.
local seen = doc.last_seen_ms
if now - seen >= tonumber(ARGV[5]) then
  seen = now
  redis.call('JSON.SET', KEYS[1], '$.last_seen_ms', string.format('%d', seen))
end
return {'ok', raw, string.format('%d', seen)}
"""
)

# ARGV: now, then pairs of JSON path and JSON value. Returns 1 if written.
UPDATE = """
local deadline = redis.call('PEXPIRETIME', KEYS[1])
if deadline < 0 or tonumber(ARGV[1]) >= deadline then return 0 end
for i = 2, #ARGV, 2 do
  local reply = redis.pcall('JSON.SET', KEYS[1], ARGV[i], ARGV[i + 1])
  if type(reply) == 'table' and reply.err then return 0 end
end
return 1
"""

# KEYS: old key, new key, old index, new index. ARGV: now, old digest, new
# digest, key prefix, then either 'copy' (the old session moves, or nothing
# happens if it has gone) or 'replace' and the new document, then pairs of JSON
# path and value to set on the new session.
ROTATE = (
    PRUNE
    + IS_MS
    + """
local now = tonumber(ARGV[1])
local raw, first = ARGV[6], 7
if ARGV[5] == 'copy' then
  local ok, stored = pcall(redis.call, 'JSON.GET', KEYS[1])
  raw, first = ok and stored, 6
  if raw and now >= redis.call('PEXPIRETIME', KEYS[1]) then raw = nil end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[2])
prune(KEYS[3], now, ARGV[4])
if not raw then return 0 end
local decoded, doc = pcall(cjson.decode, raw)
if not decoded or type(doc) ~= 'table' or not is_ms(doc.idle_timeout_ms)
    or not is_ms(doc.expires_at_ms) or now >= doc.expires_at_ms then
  return 0
end
local deadline = string.format('%d',
  math.min(now + doc.idle_timeout_ms, doc.expires_at_ms))
redis.call('JSON.SET', KEYS[2], '$', raw)
redis.call('JSON.SET', KEYS[2], '$.last_seen_ms', string.format('%d', now))
for i = first, #ARGV, 2 do
  redis.call('JSON.SET', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIREAT', KEYS[2], deadline)
reindex(KEYS[4], ARGV[3], string.format('%d', doc.expires_at_ms), now, ARGV[4])
return redis.call('JSON.GET', KEYS[2])
"""
)

# KEYS: session, index. ARGV: digest, now, key prefix.
DESTROY = (
    PRUNE
    + """
local gone = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
prune(KEYS[2], tonumber(ARGV[2]), ARGV[3])
return gone
"""
)

# ARGV: now, key prefix. Returns digest, document pairs of the user's live
# sessions, once the index has been pruned.
LIST = (
    PRUNE
    + """
prune(KEYS[1], tonumber(ARGV[1]), ARGV[2])
local found = {}
for _, digest in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local ok, raw = pcall(redis.call, 'JSON.GET', ARGV[2] .. digest)
  table.insert(found, digest)
  -- A key that holds no JSON comes back as nil, for the caller to discard.
  table.insert(found, ok and raw)
end
return found
"""
)

# KEYS: index. ARGV: key prefix, username. Deletes only the user's own
# sessions, whatever else an index may have been made to name.
DESTROY_ALL = """
local gone = 0
for _, digest in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. digest
  local ok, owner = pcall(redis.call, 'JSON.GET', key, '$.username')
  if ok and owner and cjson.decode(owner)[1] == ARGV[2] then
    gone = gone + redis.call('DEL', key)
  end
end
redis.call('DEL', KEYS[1])
return gone
"""
