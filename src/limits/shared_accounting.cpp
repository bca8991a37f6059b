#include "limits/shared_accounting.hpp"

namespace corral::limits {

void SharedAccounting::settle_later(Settlement s) {
  if (settlements_.size() >= kMaxPending) {
    ++dropped_;
    if (flushing_) return;  // the oldest may be on its way: this one goes instead
    settlements_.pop_front();
  }
  settlements_.push_back(std::move(s));
}

awaitable<bool> SharedAccounting::flush(redis::RedisClient& redis, std::string_view key_prefix,
                                        std::string_view instance, std::string_view writer) {
  if (flushing_) co_return false;  // one flush at a time (the periodic one, or the last at drain)
  flushing_ = true;
  bool ok = true;
  while (ok && !settlements_.empty()) {
    const auto s = settlements_.front();
    ok = co_await shared_settle(redis, instance, s);
    if (ok) settlements_.pop_front();
  }
  ok = ok && co_await usage.flush(redis, key_prefix, writer);
  flushing_ = false;
  co_return ok;
}

}  // namespace corral::limits
