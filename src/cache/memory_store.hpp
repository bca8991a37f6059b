// The in-process cache (the default when no Redis is configured): bounded in bytes, least
// recently used first out, each entry with its own expiry. Shared by every I/O thread behind one
// mutex held for a hash lookup and a list splice; the answers themselves are shared, not copied.
// Time is passed in.
#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/cached_answer.hpp"

namespace corral::cache {

class MemoryStore {
 public:
  using Time = std::chrono::steady_clock::time_point;
  explicit MemoryStore(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  void set_max_bytes(std::size_t max_bytes);
  AnswerPtr get(const std::string& key, Time now);
  void put(const std::string& key, AnswerPtr answer, Time expires);

  std::size_t bytes() const;
  std::size_t entries() const;

 private:
  struct Entry {
    std::string key;
    AnswerPtr answer;
    Time expires;
    std::size_t bytes;
  };
  void erase(std::list<Entry>::iterator it);
  void evict_to(std::size_t limit);

  mutable std::mutex mu_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace corral::cache
