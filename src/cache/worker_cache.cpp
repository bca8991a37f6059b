#include "cache/worker_cache.hpp"

#include <spdlog/spdlog.h>

namespace corral::cache {

namespace {

std::string identity_of(const std::optional<RedisConfig>& r) {
  if (!r) return {};
  return r->url + '\n' + std::to_string(r->command_timeout.count()) + '\n' + std::to_string(r->connect_timeout.count());
}

}  // namespace

void WorkerCache::refresh(const Config& cfg) {
  auto id = stopped_ ? std::string() : identity_of(cfg.redis);
  if (backend_ && id == identity_) return;
  if (redis_) redis_->stop();
  redis_.reset();
  identity_ = std::move(id);
  if (identity_.empty()) {
    backend_ = std::make_unique<MemoryBackend>(memory_);
    return;
  }
  redis::ClientOptions o;
  if (auto e = redis::parse_endpoint(cfg.redis->url)) o.endpoint = *e;
  o.connect_timeout = cfg.redis->connect_timeout;
  o.command_timeout = cfg.redis->command_timeout;
  spdlog::debug("cache: using Redis at {}", cfg.redis->url.substr(cfg.redis->url.find('@') == std::string::npos ? 0 : cfg.redis->url.find('@') + 1));
  redis_ = std::make_shared<redis::RedisClient>(ex_, o);
  redis_->start();
  backend_ = std::make_unique<RedisBackend>(redis_);
}

void WorkerCache::stop() {
  stopped_ = true;
  if (redis_) redis_->stop();
  redis_.reset();
  identity_.clear();
  backend_ = std::make_unique<MemoryBackend>(memory_);
}

}  // namespace corral::cache
