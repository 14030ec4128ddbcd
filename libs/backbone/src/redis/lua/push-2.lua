-- push: append a message to a parked session's capped queue.
-- KEYS[1] queue list    {c:<id>}:q
-- KEYS[2] session hash  {c:<id>}:session  (a new queue takes over its expiry, if any)
-- ARGV[1] encoded message
-- ARGV[2] bound: the queue keeps at most this many messages; 0 keeps none
-- ARGV[3] 'oldest': past the bound the oldest go; 'newest': a full queue refuses this one
-- ARGV[4] grace ms: a new queue whose session record is gone (a push racing the session's
--         end) expires after this, instead of staying forever with nobody to delete it
-- returns {length, dropped}
local bound = tonumber(ARGV[2])
if ARGV[3] == 'newest' then
  local current = redis.call('LLEN', KEYS[1])
  if current >= bound then return {current, 1} end
end
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
if length == 1 then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  elseif ttl == -2 then
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
  end
end
local dropped = 0
if length > bound then
  dropped = length - bound
  if bound == 0 then
    redis.call('DEL', KEYS[1])
  else
    redis.call('LTRIM', KEYS[1], dropped, -1)
  end
  length = bound
end
return {length, dropped}
