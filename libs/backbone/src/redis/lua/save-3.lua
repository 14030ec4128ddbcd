-- save: store a session record unless a later claim has fenced its writer off.
-- KEYS[1] session hash  {c:<id>}:session
-- KEYS[2] generation    {c:<id>}:gen
-- KEYS[3] queue list    {c:<id>}:q
-- ARGV[1] the record's generation
-- ARGV[2] owner node id
-- ARGV[3] expiry, epoch ms, or '' for never
-- ARGV[4] body (msgpack: subscriptions, protocol state)
-- ARGV[5] grace ms: session and queue are garbage-collected (PEXPIREAT) at expiry + grace
-- returns 1 when stored, 0 when refused (a generation above ARGV[1] has been claimed)
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
local recorded = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if recorded > latest then latest = recorded end
local generation = tonumber(ARGV[1])
if generation < latest then return 0 end
if generation > latest then redis.call('SET', KEYS[2], ARGV[1]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'gen', ARGV[1], 'body', ARGV[4])
if ARGV[3] == '' then
  redis.call('PERSIST', KEYS[3])
else
  local at = tonumber(ARGV[3]) + tonumber(ARGV[5])
  redis.call('HSET', KEYS[1], 'exp', ARGV[3])
  redis.call('PEXPIREAT', KEYS[1], at)
  redis.call('PEXPIREAT', KEYS[3], at)
end
return 1
