#include "cache/worker_cache.hpp"

#include <spdlog/spdlog.h>

namespace corral::cache {

namespace {

std::string identity_of(const std::optional<RedisConfig>& r) {
  if (!r) return {};
  return r->url + '\n' + std::to_string(r->command_timeout.count()) + '\n' + std::to_string(r->connect_timeout.count());
}

}  // namespace

void WorkerCache::refresh(const ConfigPtr& cfg) {
  if (backend_ && cfg == seen_) return;  // the same snapshot: nothing can have changed
  seen_ = cfg;
  auto id = stopped_ ? std::string() : identity_of(cfg->redis);
  if (backend_ && id == identity_) return;
  if (redis_) redis_->stop();
  redis_.reset();
  identity_ = std::move(id);
  if (identity_.empty()) {
    backend_ = std::make_unique<MemoryBackend>(memory_);
    return;
  }
  redis::ClientOptions o;
  if (auto e = redis::parse_endpoint(cfg->redis->url)) o.endpoint = *e;
  o.connect_timeout = cfg->redis->connect_timeout;
  o.command_timeout = cfg->redis->command_timeout;
  spdlog::debug("cache: using Redis at {}", o.endpoint.unix_path.empty()
                                                ? o.endpoint.host + ':' + std::to_string(o.endpoint.port)
                                                : o.endpoint.unix_path);
  redis_ = std::make_shared<redis::RedisClient>(ex_, o);
  redis_->start();
  backend_ = std::make_unique<RedisBackend>(redis_);
}

void WorkerCache::stop() {
  stopped_ = true;
  if (redis_) redis_->stop();
  redis_.reset();
  identity_.clear();
  seen_.reset();
  backend_ = std::make_unique<MemoryBackend>(memory_);
}

}  // namespace corral::cache
