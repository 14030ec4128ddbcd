-- save: store a session record unless its writer no longer holds the session.
-- KEYS[1] session hash  {c:<id>}:session
-- KEYS[2] queue list    {c:<id>}:q
-- ARGV[1] the record's generation (the one its writer's claim got)
-- ARGV[2] owner node id
-- ARGV[3] expiry, epoch ms, or '' for never
-- ARGV[4] body (msgpack: subscriptions, protocol state)
-- ARGV[5] when Redis deletes record and queue (PEXPIREAT, epoch ms, an integer string),
--         or '' to keep them for good
-- returns 1 when stored, 0 when refused
-- Only the holder of the record's current generation may write: a later claim replaced
-- it, and a delete or expiry removed it. Refusing a missing record is what makes deleting
-- every key of an ended session safe: no generation is ever claimed twice, so a stale
-- owner can neither match a newer record nor bring back a deleted one.
local recorded = redis.call('HGET', KEYS[1], 'gen')
if not recorded or tonumber(recorded) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'gen', ARGV[1], 'body', ARGV[4])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'exp', ARGV[3]) end
if ARGV[5] == '' then
  redis.call('PERSIST', KEYS[2])
else
  redis.call('PEXPIREAT', KEYS[1], ARGV[5])
  redis.call('PEXPIREAT', KEYS[2], ARGV[5])
end
return 1
