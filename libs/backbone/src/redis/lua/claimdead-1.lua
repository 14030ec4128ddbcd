-- claimdead: take responsibility for a node that stopped heartbeating; exactly one caller wins.
-- KEYS[1] node heartbeats  <prefix>:nodes  (sorted set: node id -> last heartbeat, epoch ms)
-- ARGV[1] the silent node's id
-- ARGV[2] a heartbeat older than this (epoch ms) means dead
-- returns 1 when this caller won (the node is removed from the set), else 0
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not at or tonumber(at) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
