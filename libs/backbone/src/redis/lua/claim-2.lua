-- claim: atomically take ownership of a client's session for a node.
-- KEYS[1] session hash  {c:<id>}:session  (owner, gen, exp, body)
-- KEYS[2] queue list    {c:<id>}:q
-- ARGV[1] claiming node id
-- ARGV[2] now, epoch ms: a record whose exp <= now has expired
-- ARGV[3] this claim's generation, fresh from the cluster-wide counter (generation-1.lua)
-- returns 0 when the record already has ARGV[3] or a later generation (a claim that drew
--         later got here first: draw again and retry), else
--         {generation, foundOwner or '', foundGen or '', live 1/0, previousExp or '', previousBody or ''}
--         where found* describe any record there was (live or expired: its owner's owned
--         set loses the client) and live says whether it is returned as the previous one
-- The generation lives only in the record: it is unique because the counter never repeats,
-- so deleting the record leaves nothing a stale owner could match (see save-2.lua).
-- An expired record is deleted; with no live record the queue goes too, so a new session
-- never starts with messages queued for an earlier one.
local owner, gen, exp, body = unpack(redis.call('HMGET', KEYS[1], 'owner', 'gen', 'exp', 'body'))
if gen and tonumber(ARGV[3]) <= tonumber(gen) then return 0 end
local live = owner ~= false
if live and exp and tonumber(exp) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  live = false
end
if not live then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'gen', ARGV[3])
if not live then return {ARGV[3], owner or '', gen or '', 0, '', ''} end
return {ARGV[3], owner, gen, 1, exp or '', body or ''}
