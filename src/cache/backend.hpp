// Where cached answers live, behind one interface: the in-process MemoryStore (the default) or
// Redis (shared by every instance). Each I/O thread has its own backend object (the Redis one
// drives that thread's RedisClient); the MemoryStore behind memory backends is one per process.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cache/cached_answer.hpp"
#include "cache/memory_store.hpp"
#include "corral/asio.hpp"
#include "corral/units.hpp"
#include "redis/redis_client.hpp"

namespace corral::cache {

struct Lookup {
  enum class Result { hit, miss, error };  // error: the backend failed (a miss, or 503 when closed)
  Result result = Result::miss;
  AnswerPtr answer;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual awaitable<Lookup> get(const std::string& key) = 0;
  // Stores with a time to live; false when the backend failed.
  virtual awaitable<bool> put(const std::string& key, AnswerPtr answer, Duration ttl) = 0;
  // Cross-instance fill lock, held under `token` (unique to the holder) for at most `ttl`: true
  // when this request should fill `key` (or the backend cannot tell); false when another holds it.
  virtual awaitable<bool> lock(const std::string& key, const std::string& token, Duration ttl) = 0;
  // Frees the lock if `token` still holds it: one that expired and was taken since is left alone.
  virtual awaitable<void> unlock(const std::string& key, const std::string& token) = 0;
  virtual bool shared() const = 0;  // other instances see it (locks mean something)
};

class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(std::shared_ptr<MemoryStore> store) : store_(std::move(store)) {}
  awaitable<Lookup> get(const std::string& key) override;
  awaitable<bool> put(const std::string& key, AnswerPtr answer, Duration ttl) override;
  awaitable<bool> lock(const std::string&, const std::string&, Duration) override {
    co_return true;
  }
  awaitable<void> unlock(const std::string&, const std::string&) override { co_return; }
  bool shared() const override { return false; }

 private:
  std::shared_ptr<MemoryStore> store_;
};

class RedisBackend final : public Backend {
 public:
  explicit RedisBackend(std::shared_ptr<redis::RedisClient> client) : client_(std::move(client)) {}
  awaitable<Lookup> get(const std::string& key) override;
  awaitable<bool> put(const std::string& key, AnswerPtr answer, Duration ttl) override;
  awaitable<bool> lock(const std::string& key, const std::string& token, Duration ttl) override;
  awaitable<void> unlock(const std::string& key, const std::string& token) override;
  bool shared() const override { return true; }
  redis::RedisClient& client() { return *client_; }

 private:
  std::shared_ptr<redis::RedisClient> client_;
};

// A fill lock's token: 128 random bits, so that no two holders (of any instance) share one.
std::string new_lock_token();

// Per-tenant cache counters (kept as counters, never by scanning keys), shared by all threads.
struct TenantCounters {
  std::atomic<std::uint64_t> hits{0}, misses{0}, bypasses{0}, errors{0}, bytes{0};  // bytes served from cache
};
// {"hits","misses","bypasses","errors","bytes"}, as the usage route and the admin API show them.
nlohmann::json counters_json(const TenantCounters& c);

}  // namespace corral::cache
