-- delete: drop a session record and its queue unless a later claim has fenced the caller off.
-- KEYS[1] session hash  {c:<id>}:session
-- KEYS[2] generation    {c:<id>}:gen      (kept: generations never repeat)
-- KEYS[3] queue list    {c:<id>}:q
-- ARGV[1] the caller's generation
-- returns 1 when deleted, 0 when refused (a generation above ARGV[1] has been claimed)
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
local recorded = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if recorded > latest then latest = recorded end
if tonumber(ARGV[1]) < latest then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
return 1
