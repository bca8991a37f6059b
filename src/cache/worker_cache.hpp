// One I/O thread's view of the response cache: the backend its sessions use — Redis through the
// thread's own RedisClient when `redis` is configured, else the process's MemoryStore. refresh()
// follows the configuration: it connects at start and replaces the client when a reload changes
// the Redis settings.
#pragma once

#include <memory>
#include <string>

#include "cache/backend.hpp"
#include "corral/config.hpp"

namespace corral::cache {

class WorkerCache {
 public:
  WorkerCache(asio::any_io_executor ex, std::shared_ptr<MemoryStore> memory)
      : ex_(std::move(ex)), memory_(std::move(memory)) {}
  ~WorkerCache() { stop(); }

  // Cheap for the snapshot seen last (a pointer comparison): called for every cached request.
  void refresh(const ConfigPtr& cfg);
  Backend& backend(const ConfigPtr& cfg) {
    refresh(cfg);
    return *backend_;
  }
  redis::RedisClient* redis() const { return redis_.get(); }
  // The thread's Redis connection for `cfg` (null without `redis`); held by whoever awaits on it,
  // so that a reload replacing it cannot pull it away mid-command.
  std::shared_ptr<redis::RedisClient> client(const ConfigPtr& cfg) {
    refresh(cfg);
    return redis_;
  }
  void stop();

 private:
  asio::any_io_executor ex_;
  std::shared_ptr<MemoryStore> memory_;
  std::shared_ptr<redis::RedisClient> redis_;
  ConfigPtr seen_;        // the snapshot refresh() last looked at
  std::string identity_;  // the Redis settings redis_ was made for ("" = memory)
  std::unique_ptr<Backend> backend_;
  bool stopped_ = false;  // draining: no new Redis connection, the memory store serves
};

}  // namespace corral::cache
