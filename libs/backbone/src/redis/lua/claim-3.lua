-- claim: atomically take ownership of a client's session for a node.
-- KEYS[1] session hash  {c:<id>}:session  (owner, gen, exp, body)
-- KEYS[2] generation    {c:<id>}:gen      (latest generation ever claimed; never expires)
-- KEYS[3] queue list    {c:<id>}:q
-- ARGV[1] claiming node id
-- ARGV[2] now, epoch ms: a record whose exp <= now has expired
-- returns {generation} when there was no live record, else
--         {generation, previousOwner, previousGen, previousExp or '', previousBody or ''}
-- An expired record is deleted together with its queue. The generation is one above the
-- highest of the generation key and the record's own, and is written back to both.
local owner, gen, exp, body = unpack(redis.call('HMGET', KEYS[1], 'owner', 'gen', 'exp', 'body'))
local live = owner ~= false
if live and exp and tonumber(exp) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1], KEYS[3])
  live = false
end
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
if live and tonumber(gen) > latest then latest = tonumber(gen) end
local generation = latest + 1
redis.call('SET', KEYS[2], generation)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'gen', generation)
if not live then return {generation} end
return {generation, owner, gen, exp or '', body or ''}
