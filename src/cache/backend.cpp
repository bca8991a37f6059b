#include "cache/backend.hpp"

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

awaitable<bool> RedisBackend::lock(const std::string& key, Duration ttl) {
  const auto ms = std::to_string(std::max<long long>(1, ttl.count()));
  const auto lock_key = key + ":fill";
  std::vector<std::string_view> args{"SET", lock_key, "1", "NX", "PX", ms};
  auto r = co_await client_->command(std::move(args));
  if (!r.ok()) co_return true;  // cannot tell: fill it ourselves
  co_return r.reply.type == redis::Reply::Type::status;  // OK; nil when another instance holds it
}

awaitable<void> RedisBackend::unlock(const std::string& key) {
  const auto lock_key = key + ":fill";
  std::vector<std::string_view> args{"DEL", lock_key};
  co_await client_->command(std::move(args));
}

nlohmann::json counters_json(const TenantCounters& c) {
  return {{"hits", c.hits.load()}, {"misses", c.misses.load()}, {"bypasses", c.bypasses.load()},
          {"errors", c.errors.load()}, {"bytes", c.bytes.load()}};
}

}  // namespace corral::cache
