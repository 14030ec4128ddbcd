-- generation: draw the generation of a session claim from the cluster-wide counter.
-- KEYS[1] counter  <prefix>:generation
-- returns a generation no claim of any client has had before
-- A missing counter (first start, or Redis lost its data) starts from Redis's clock in µs
-- since the epoch, so it begins above every generation handed out before: those began at
-- an earlier clock reading and grew by one per claim, far fewer than one claim per µs.
-- Built as a string: Lua would print a 16-digit number in exponent notation.
local generation = redis.call('INCR', KEYS[1])
if generation == 1 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.format('%06d', tonumber(now[2])))
  generation = redis.call('INCR', KEYS[1])
end
return generation
