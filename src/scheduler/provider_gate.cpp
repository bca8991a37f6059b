#include "scheduler/provider_gate.hpp"

namespace corral::scheduler {

// Wakes granted waiters on their own I/O threads (a timer is touched only by its thread).
void ProviderGate::grant(const std::vector<std::shared_ptr<Waiter>>& wake) {
  for (const auto& w : wake)
    asio::post(w->timer.get_executor(), [w] {
      w->granted = true;
      w->timer.cancel();
    });
}

void ProviderGate::configure(std::uint64_t slots, QueueBounds bounds, double requests_per_minute,
                             double tokens_per_minute) {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mu_);
    queue_.configure(slots, bounds);
    queue_.configure_rate(requests_per_minute, tokens_per_minute, std::chrono::steady_clock::now());
    dispatch_locked(wake);  // more capacity: waiters may go now
  }
  grant(wake);
}

bool ProviderGate::available_now() {
  std::lock_guard lock(mu_);
  return queue_.available(std::chrono::steady_clock::now());
}

std::uint64_t ProviderGate::queued() const {
  std::lock_guard lock(mu_);
  return queue_.queued();
}

std::uint64_t ProviderGate::queued(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  return queue_.queued(tenant);
}

std::uint64_t ProviderGate::in_flight() const {
  std::lock_guard lock(mu_);
  return queue_.in_flight();
}

void ProviderGate::dispatch_locked(std::vector<std::shared_ptr<Waiter>>& wake) {
  const auto now = std::chrono::steady_clock::now();
  while (auto t = queue_.next(now)) {
    auto it = waiters_.find(t->id);
    if (it == waiters_.end()) {  // its waiter is gone: give the slot back at once
      queue_.complete(*t, 0, now);
      continue;
    }
    wake.push_back(std::move(it->second));
    waiters_.erase(it);
  }
  // The rate holds the next request: wake up when it allows, on the thread of a waiter (timers
  // are per object, so one made here may be started from any thread).
  const auto wait = queue_.rate_wait(now);
  if (!wait || waiters_.empty()) return;
  const auto at = now + *wait;
  if (rate_timer_at_ && *rate_timer_at_ <= at) return;  // an earlier wake-up is armed already
  rate_timer_at_ = at;
  auto timer = std::make_shared<asio::steady_timer>(waiters_.begin()->second->timer.get_executor(), at);
  timer->async_wait([self = shared_from_this(), timer](const error_code&) { self->on_rate_timer(); });
}

void ProviderGate::on_rate_timer() {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mu_);
    if (rate_timer_at_ && *rate_timer_at_ <= std::chrono::steady_clock::now()) rate_timer_at_.reset();
    dispatch_locked(wake);
  }
  grant(wake);
}

awaitable<ProviderGate::Result> ProviderGate::acquire(Ticket& t, Duration max_wait,
                                                      const std::function<void(Cancel)>& on_queued) {
  std::shared_ptr<Waiter> waiter;  // only for a request that waits: most go at once
  std::vector<std::shared_ptr<Waiter>> wake;
  const auto ex = co_await asio::this_coro::executor;
  {
    std::lock_guard lock(mu_);
    switch (queue_.submit(t)) {
      case FairQueue::Outcome::dispatched:
        co_return Result{};
      case FairQueue::Outcome::queue_full:
        co_return Result{Errc::overloaded};
      case FairQueue::Outcome::tenant_queue_full:
        co_return Result{Errc::rate_limit_concurrency};
      case FairQueue::Outcome::queued:
        waiter = std::make_shared<Waiter>(ex);
        waiters_[t.id] = waiter;
        break;
    }
    dispatch_locked(wake);  // arms the rate timer when it is the rate, not a slot, that holds us
  }
  grant(wake);
  waiter->timer.expires_after(max_wait);
  if (on_queued)
    on_queued([weak = std::weak_ptr<Waiter>(waiter)] {
      if (auto w = weak.lock()) {
        w->cancelled = true;
        w->timer.cancel();
      }
    });
  co_await waiter->timer.async_wait(use_nothrow);
  const auto waited = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - t.enqueued);
  if (waiter->granted) co_return Result{Errc::ok, waited};
  // Timed out or cancelled: leave the queue, unless a grant raced us (then the slot is ours).
  {
    std::lock_guard lock(mu_);
    if (queue_.cancel(t.id)) {
      waiters_.erase(t.id);
      co_return Result{waiter->cancelled ? Errc::unavailable : Errc::overloaded, waited};
    }
  }
  if (waiter->cancelled) {  // granted, but the client is gone: hand the slot on
    release(t, 0);
    co_return Result{Errc::unavailable, waited};
  }
  co_return Result{Errc::ok, waited};
}

void ProviderGate::release(const Ticket& t, double actual_cost) {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mu_);
    queue_.complete(t, actual_cost, std::chrono::steady_clock::now());
    dispatch_locked(wake);
  }
  grant(wake);
}

}  // namespace corral::scheduler
