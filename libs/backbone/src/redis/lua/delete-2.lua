-- delete: drop a session record and its queue, if the caller still holds the session.
-- KEYS[1] session hash  {c:<id>}:session
-- KEYS[2] queue list    {c:<id>}:q
-- ARGV[1] the caller's generation
-- returns the owner node of the deleted record (whose owned set should drop the client),
--         or 0 when refused (no record, or another generation: a later claim took it)
-- Nothing of the client is left behind: generations are unique cluster-wide (generation-1.lua),
-- so no per-client counter has to outlive the record.
local owner, gen = unpack(redis.call('HMGET', KEYS[1], 'owner', 'gen'))
if not gen or tonumber(gen) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return owner
