#include "cache/backend.hpp"

#include <fmt/format.h>

#include "corral/random.hpp"
#include "redis/script.hpp"

namespace corral::cache {

awaitable<Lookup> MemoryBackend::get(const std::string& key) {
  auto a = store_->get(key, std::chrono::steady_clock::now());
  co_return a ? Lookup{Lookup::Result::hit, std::move(a)} : Lookup{};
}

awaitable<bool> MemoryBackend::put(const std::string& key, AnswerPtr answer, Duration ttl) {
  store_->put(key, std::move(answer), std::chrono::steady_clock::now() + ttl);
  co_return true;
}

awaitable<Lookup> RedisBackend::get(const std::string& key) {
  std::vector<std::string_view> args{"GET", key};  // built before co_await (GCC 12 and arrays in coroutines)
  auto r = co_await client_->command(std::move(args));
  if (!r.ok()) co_return Lookup{Lookup::Result::error, nullptr};
  if (r.reply.type != redis::Reply::Type::string) co_return Lookup{};
  auto parsed = CachedAnswer::parse(r.reply.str);
  if (!parsed) co_return Lookup{};  // not ours or damaged: a miss (it will be overwritten)
  co_return Lookup{Lookup::Result::hit, std::make_shared<const CachedAnswer>(std::move(*parsed))};
}

awaitable<bool> RedisBackend::put(const std::string& key, AnswerPtr answer, Duration ttl) {
  const auto value = answer->serialize();
  const auto ms = std::to_string(std::max<long long>(1, ttl.count()));
  std::vector<std::string_view> args{"SET", key, value, "PX", ms};
  auto r = co_await client_->command(std::move(args));
  co_return r.ok();
}

awaitable<bool> RedisBackend::lock(const std::string& key, const std::string& token, Duration ttl) {
  const auto ms = std::to_string(std::max<long long>(1, ttl.count()));
  const auto lock_key = key + ":fill";
  std::vector<std::string_view> args{"SET", lock_key, token, "NX", "PX", ms};
  auto r = co_await client_->command(std::move(args));
  if (!r.ok()) co_return true;  // cannot tell: fill it ourselves
  co_return r.reply.type == redis::Reply::Type::status;  // OK; nil when another instance holds it
}

awaitable<void> RedisBackend::unlock(const std::string& key, const std::string& token) {
  // Compared and deleted in one step: a lock that outlived its time to live may have been taken
  // by another instance, whose fill it still guards.
  static const redis::Script release(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
      "return 0\n");
  const auto lock_key = key + ":fill";
  std::vector<std::string_view> keys{lock_key}, args{token};  // (built before co_await, as above)
  co_await redis::run(*client_, release, std::move(keys), std::move(args), redis::Op::del);
}

std::string new_lock_token() {
  return fmt::format("{:016x}{:016x}", random_u64(), random_u64());
}

nlohmann::json counters_json(const TenantCounters& c) {
  return {{"hits", c.hits.load()}, {"misses", c.misses.load()}, {"bypasses", c.bypasses.load()},
          {"errors", c.errors.load()}, {"bytes", c.bytes.load()}};
}

}  // namespace corral::cache
