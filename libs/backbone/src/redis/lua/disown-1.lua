-- disown: take a client off a node's owned hash, unless the node owns it again since.
-- KEYS[1] owned hash  <prefix>:owned:<nodeId>  (client id -> generation it was noted with)
-- ARGV[1] client id
-- ARGV[2] the generation that ended there (claimed by another node, or deleted)
-- returns 1 when removed, 0 when the entry is missing or holds another generation
-- A removal that arrives late (the node took the client back meanwhile, with a newer
-- generation) leaves the newer entry alone.
local noted = redis.call('HGET', KEYS[1], ARGV[1])
if not noted or tonumber(noted) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
