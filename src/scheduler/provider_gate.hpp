// The door to one provider's capacity, shared by every I/O thread: a FairQueue under a mutex
// (held for a few operations, never across I/O) and the waiters it wakes. A waiter sleeps on a
// timer of its own I/O thread; a grant made on another thread is posted to that thread. Kept
// across reloads (queued requests stay; capacity and bounds change in place). When the provider's
// rate (not a slot) holds the next request, a timer on a waiter's thread dispatches it when the
// rate allows. Owned by a shared_ptr (the rate timer keeps it alive).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "corral/asio.hpp"
#include "corral/error.hpp"
#include "scheduler/fair_queue.hpp"

namespace corral::scheduler {

class ProviderGate : public std::enable_shared_from_this<ProviderGate> {
 public:
  struct Result {
    Errc error = Errc::ok;  // overloaded (queue full, waited too long), rate_limit_concurrency
    Duration waited{};      // time spent queued
  };

  void configure(std::uint64_t slots, QueueBounds bounds, double requests_per_minute = 0,
                 double tokens_per_minute = 0);
  // Tenants' weights changed (reload): see FairQueue::reweight.
  template <typename F>
  void reweight(F&& weight_of) {
    std::lock_guard lock(mu_);
    queue_.reweight(std::forward<F>(weight_of));
  }

  // Waits for a slot. On ok the caller holds the slot and must call release(). When the request
  // has to wait, `on_queued` is called (on the caller's thread) with a function that takes it out
  // of the queue (the client went away: acquire then answers unavailable); that function may be
  // called only on the caller's thread and only until acquire returns.
  using Cancel = std::function<void()>;
  // `t` (the caller's, alive until acquire returns) learns its queue (Ticket::queue); on ok, it is
  // the ticket to give release().
  awaitable<Result> acquire(Ticket& t, Duration max_wait, const std::function<void(Cancel)>& on_queued = {});
  // Frees the slot of a finished request, with its real cost, and wakes the next ones.
  void release(const Ticket& t, double actual_cost);

  // A request would go at once (for choosing among several accounts of a provider).
  bool available_now();
  std::uint64_t queued() const;
  std::uint64_t queued(const std::string& tenant) const;
  std::uint64_t in_flight() const;
  std::uint64_t new_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;
    bool cancelled = false;
  };
  // Dispatches what slots and rate allow; arms the rate timer when the rate holds the rest.
  void dispatch_locked(std::vector<std::shared_ptr<Waiter>>& wake);
  static void grant(const std::vector<std::shared_ptr<Waiter>>& wake);
  void on_rate_timer();

  mutable std::mutex mu_;
  FairQueue queue_{1};
  std::unordered_map<std::uint64_t, std::shared_ptr<Waiter>> waiters_;
  std::atomic<std::uint64_t> next_id_{1};
  std::optional<Time> rate_timer_at_;  // when the armed rate timer fires, if one is armed
};

}  // namespace corral::scheduler
