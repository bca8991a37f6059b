#include "cache/memory_store.hpp"

namespace corral::cache {

void MemoryStore::set_max_bytes(std::size_t max_bytes) {
  std::lock_guard lock(mu_);
  max_bytes_ = max_bytes;
  evict_to(max_bytes_);
}

AnswerPtr MemoryStore::get(const std::string& key, Time now) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (it->second->expires <= now) {
    erase(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->answer;
}

void MemoryStore::put(const std::string& key, AnswerPtr answer, Time expires) {
  const std::size_t size = answer->bytes() + key.size();
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) erase(it->second);
  if (size > max_bytes_) return;
  evict_to(max_bytes_ - size);
  lru_.push_front({key, std::move(answer), expires, size});
  index_.emplace(key, lru_.begin());
  bytes_ += size;
}

std::size_t MemoryStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t MemoryStore::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

void MemoryStore::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  lru_.erase(it);
}

void MemoryStore::evict_to(std::size_t limit) {
  while (bytes_ > limit && !lru_.empty()) erase(std::prev(lru_.end()));
}

}  // namespace corral::cache
