// The server-side scripts of the shared limits (docs/scale-out.md). Units are integers: time in
// milliseconds (the Redis server's own clock, so that instances' clocks do not matter), bucket
// levels in thousandths of a request or token, money in micro-dollars.
//
// Keys of one tenant (one hash tag):
//   {P:t:T}:b          buckets: rl/rt (requests level, last time), tl/tt (tokens)
//   {P:t:T}:l          leases: cc (in flight), res (reserved micro-dollars), one field per admitted
//                      request "<instance>|<lease>" = its reservation, "hb|<instance>" = the last
//                      time the instance said it is alive, "x|<instance>|<lease>" = the reservation
//                      of a request whose instance was taken for dead (settled without touching
//                      cc/res)
//   {P:t:T}:c          admissions given up for lost before Redis ran them (their reply never
//                      came): "<instance>|<lease>" = when; such an admission takes nothing when
//                      it runs
//   {P:t:T}:u:<yyyymm> the month: "<dd>|<model>|<r|p|c|k|h|m>" usage counters (m: micro-dollars),
//                      "spent" (micro-dollars), "seq|<writer>" (the last usage batch applied)
#include "limits/shared_scripts.hpp"

namespace corral::limits::scripts {
namespace {

// Shared by the scripts that read a bucket: `now` and the level of bucket `p` ('r' or 't').
constexpr const char* kPrelude = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, p, rate, cap)
  if rate <= 0 then return 0 end
  local v = redis.call('HMGET', key, p .. 'l', p .. 't')
  if not v[1] then return cap end
  return math.min(cap, math.floor(tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * rate / 60))
end
-- (A reservation of 0 is not given back: "-0" is not an integer to Redis.)
local function give_back(reserved)
  local r = tonumber(reserved)
  if r ~= 0 then redis.call('HINCRBY', KEYS[2], 'res', -r) end
end
local function wait(l, need, rate)
  if rate <= 0 or l >= need then return 0 end
  return math.ceil((need - l) * 60 / rate)
end
)";

// (Built by appending to one string: GCC 12 warns falsely about a string made from a literal.)
redis::Script script(std::string_view prelude, std::string_view body) {
  std::string text;
  text.reserve(prelude.size() + body.size());
  text.append(prelude).append(body);
  return redis::Script(std::move(text));
}

}  // namespace

// KEYS: buckets, leases, month, cancelled. ARGV: instance, lease, instance_ttl_ms, requests/min,
// requests capacity, tokens/min, tokens capacity, tokens asked (thousandths), concurrency limit,
// budget (micro-dollars), cost reserved (micro-dollars).
// Reply: {code, wait_ms, requests level, requests reset ms, tokens level, tokens reset ms};
// code 0 admitted, 1 concurrency, 2 requests, 3 tokens, 4 budget, 5 cancelled before it ran. A
// refusal changes nothing.
const redis::Script& admit() {
  static const redis::Script s = script(kPrelude, R"(
local inst, lease, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rrate, rcap = tonumber(ARGV[4]), tonumber(ARGV[5]) * 1000
local trate, tcap = tonumber(ARGV[6]), tonumber(ARGV[7]) * 1000
local tokens, climit, budget, cost = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local rl, tl = level(KEYS[1], 'r', rrate, rcap), level(KEYS[1], 't', trate, tcap)
local function reply(code, w)
  return {code, w, rl, wait(rl, rcap, rrate), tl, wait(tl, tcap, trate)}
end
if redis.call('HDEL', KEYS[4], inst .. '|' .. lease) == 1 then return reply(5, 0) end
-- Requests of an instance that stopped saying it is alive are freed before a refusal is decided.
local function purge()
  local all = redis.call('HGETALL', KEYS[2])
  local dead = {}
  for i = 1, #all, 2 do
    local f = all[i]
    if string.sub(f, 1, 3) == 'hb|' and tonumber(all[i + 1]) < now - ttl then
      dead[string.sub(f, 4)] = true
      redis.call('HDEL', KEYS[2], f)
    end
  end
  for i = 1, #all, 2 do
    local f = all[i]
    local bar = string.find(f, '|', 1, true)
    local owner = bar and string.sub(f, 1, bar - 1)
    if owner and owner ~= 'hb' and owner ~= 'x' and dead[owner] then
      redis.call('HDEL', KEYS[2], f)
      redis.call('HSET', KEYS[2], 'x|' .. f, all[i + 1])
      redis.call('HINCRBY', KEYS[2], 'cc', -1)
      give_back(all[i + 1])
    end
  end
end
local purged = false
local function in_flight() return tonumber(redis.call('HGET', KEYS[2], 'cc') or '0') end
if climit > 0 and in_flight() >= climit then
  purge()
  purged = true
  if in_flight() >= climit then return reply(1, 1000) end
end
if rrate > 0 and rl < 1000 then return reply(2, wait(rl, 1000, rrate)) end
if trate > 0 and tokens > 0 and tl < tokens then return reply(3, wait(tl, tokens, trate)) end
if budget > 0 then
  local function over()
    local spent = tonumber(redis.call('HGET', KEYS[3], 'spent') or '0')
    local reserved = tonumber(redis.call('HGET', KEYS[2], 'res') or '0')
    return spent + reserved + cost > budget
  end
  if over() and not purged then purge() end
  if over() then return reply(4, 3600000) end
end
local keep = 60000
if rrate > 0 then
  rl = rl - 1000
  redis.call('HSET', KEYS[1], 'rl', rl, 'rt', now)
  keep = math.max(keep, math.ceil(rcap * 60 / rrate) + 60000)
end
if trate > 0 and tokens > 0 then
  tl = tl - tokens
  redis.call('HSET', KEYS[1], 'tl', tl, 'tt', now)
  keep = math.max(keep, math.ceil(tcap * 60 / trate) + 60000)
end
if rrate > 0 or (trate > 0 and tokens > 0) then redis.call('PEXPIRE', KEYS[1], keep) end
redis.call('HSET', KEYS[2], inst .. '|' .. lease, cost, 'hb|' .. inst, now)
redis.call('HINCRBY', KEYS[2], 'cc', 1)
redis.call('HINCRBY', KEYS[2], 'res', cost)
redis.call('PEXPIRE', KEYS[2], 86400000)
return reply(0, 0)
)");
  return s;
}

// KEYS: buckets, leases, month, cancelled. ARGV: instance, lease, tokens/min, tokens capacity,
// tokens given back (thousandths; negative: charged more), cost used (micro-dollars), month TTL
// ms, 1 when the admission is given up for lost (its reply never came: if Redis has not run it
// yet, it takes nothing when it does; the marks expire an hour after the last).
// Reply: 1 settled now, 0 settled before or not admitted (a repeated call changes nothing).
const redis::Script& settle() {
  static const redis::Script s = script(kPrelude, R"(
local field = ARGV[1] .. '|' .. ARGV[2]
local reserved = redis.call('HGET', KEYS[2], field)
if reserved then
  redis.call('HDEL', KEYS[2], field)
  redis.call('HINCRBY', KEYS[2], 'cc', -1)
  give_back(reserved)
elseif redis.call('HDEL', KEYS[2], 'x|' .. field) == 0 then
  if ARGV[8] == '1' then
    redis.call('HSET', KEYS[4], field, now)
    redis.call('PEXPIRE', KEYS[4], 3600000)
  end
  return 0
end
local trate, tcap, back = tonumber(ARGV[3]), tonumber(ARGV[4]) * 1000, tonumber(ARGV[5])
if trate > 0 and back ~= 0 then
  local l = math.min(tcap, level(KEYS[1], 't', trate, tcap) + back)
  redis.call('HSET', KEYS[1], 'tl', l, 'tt', now)
end
local used = tonumber(ARGV[6])
if used > 0 then
  redis.call('HINCRBY', KEYS[3], 'spent', used)
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[7]))
end
return 1
)");
  return s;
}

// KEYS: buckets. ARGV: requests/min, requests capacity, tokens/min, tokens capacity, requests
// wanted, tokens wanted, requests needed, tokens needed (all in thousandths). Takes what is wanted,
// or as much as there is, for an instance to spend locally (redis.lease); refuses (taking nothing)
// when even what is needed is not there.
// Reply: {code, wait_ms, requests granted, tokens granted, requests level, requests reset ms,
// tokens level, tokens reset ms}; code 0 granted, 2 requests, 3 tokens.
const redis::Script& take() {
  static const redis::Script s = script(kPrelude, R"(
local rrate, rcap = tonumber(ARGV[1]), tonumber(ARGV[2]) * 1000
local trate, tcap = tonumber(ARGV[3]), tonumber(ARGV[4]) * 1000
local want_r, want_t, need_r, need_t = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local rl, tl = level(KEYS[1], 'r', rrate, rcap), level(KEYS[1], 't', trate, tcap)
local function reply(code, w, gr, gt)
  return {code, w, gr, gt, rl, wait(rl, rcap, rrate), tl, wait(tl, tcap, trate)}
end
if rrate > 0 and rl < need_r then return reply(2, wait(rl, need_r, rrate), 0, 0) end
if trate > 0 and need_t > 0 and tl < need_t then return reply(3, wait(tl, need_t, trate), 0, 0) end
local gr, gt = 0, 0
local keep = 60000
if rrate > 0 then
  gr = math.max(need_r, math.min(want_r, rl))
  rl = rl - gr
  redis.call('HSET', KEYS[1], 'rl', rl, 'rt', now)
  keep = math.max(keep, math.ceil(rcap * 60 / rrate) + 60000)
end
if trate > 0 then
  gt = math.max(need_t, math.min(want_t, tl))
  tl = tl - gt
  redis.call('HSET', KEYS[1], 'tl', tl, 'tt', now)
  keep = math.max(keep, math.ceil(tcap * 60 / trate) + 60000)
end
if rrate > 0 or trate > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
return reply(0, 0, gr, gt)
)");
  return s;
}

// KEYS: leases. ARGV: instance. The instance is alive (its requests stay held).
const redis::Script& heartbeat() {
  static const redis::Script s = script(kPrelude, R"(
redis.call('HSET', KEYS[1], 'hb|' .. ARGV[1], now)
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
)");
  return s;
}

// KEYS: buckets, leases, month. ARGV: requests/min, requests capacity, tokens/min, tokens capacity.
// Reply: {requests level, requests reset ms, tokens level, tokens reset ms, in flight, reserved,
// the month's fields and values...}. Reads only.
const redis::Script& status() {
  static const redis::Script s = script(kPrelude, R"(
local rrate, rcap = tonumber(ARGV[1]), tonumber(ARGV[2]) * 1000
local trate, tcap = tonumber(ARGV[3]), tonumber(ARGV[4]) * 1000
local rl, tl = level(KEYS[1], 'r', rrate, rcap), level(KEYS[1], 't', trate, tcap)
local l = redis.call('HMGET', KEYS[2], 'cc', 'res')
local out = {rl, wait(rl, rcap, rrate), tl, wait(tl, tcap, trate), tonumber(l[1] or '0'), tonumber(l[2] or '0')}
local month = redis.call('HGETALL', KEYS[3])
for i = 1, #month do out[#out + 1] = month[i] end
return out
)");
  return s;
}

// KEYS: the month. ARGV: writer, batch sequence, month TTL ms, then field and increment pairs.
// A batch whose sequence the writer has sent before is not applied again. Reply: 1 applied, 0 not.
const redis::Script& add_usage() {
  static const redis::Script s = script({}, R"(
local seen = tonumber(redis.call('HGET', KEYS[1], 'seq|' .. ARGV[1]) or '0')
if tonumber(ARGV[2]) <= seen then return 0 end
redis.call('HSET', KEYS[1], 'seq|' .. ARGV[1], ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
)");
  return s;
}

// KEYS: the instances (a sorted set scored by when each one is taken for dead). ARGV: instance,
// instance_ttl ms (0: the instance leaves). Reply: the live instances.
const redis::Script& presence() {
  static const redis::Script s = script(kPrelude, R"(
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], math.max(ttl, 1000) * 4)
return redis.call('ZRANGE', KEYS[1], 0, -1)
)");
  return s;
}

}  // namespace corral::limits::scripts
