// The scheduler in front of one provider's capacity (issue: weighted fair queuing with priority
// tiers). Plain logic, no I/O and no clock inside: callers pass the time and act on the returned
// decisions, so it is tested without sockets.
//
// - A request that finds a free slot while nothing waits is dispatched at once.
// - Otherwise it waits in its tenant's queue. When a slot frees, the next request is chosen:
//   * between priority classes, the highest class with waiting requests goes first, except that
//     each lower class keeps at least its min_share of dispatches while it has waiting requests
//     (a credit that grows by min_share per dispatch while the class waits and is spent by one
//     when the class is served; it is not banked while the class is idle);
//   * within a class, by virtual token counters (the VTC idea of "Fairness in Serving Large
//     Language Models", OSDI '24): each tenant's counter grows by cost / weight when it is served;
//     the backlogged tenant with the smallest counter goes next; a tenant that returns from
//     idleness starts at the smallest counter of those waiting, so it has no banked credit.
//   The cost is the request's token estimate, corrected with its real usage on completion.
// - The provider account's own requests/tokens per minute (ProviderRate) gate dispatch as a slot
//   does: the request chosen next waits until the buckets have room for it, so the same rule
//   that shares slots shares the account's rate.
// - Headroom (optional, `scheduler.headroom`): while a higher class has been served within the
//   last second, a lower class leaves that share of the slots free, so a higher-class newcomer
//   does not wait for a slot to end. Traffic of one class alone still uses every slot.
// - FIFO mode: one queue in arrival order (the benchmark's baseline).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <tuple>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "corral/config.hpp"
#include "scheduler/provider_rate.hpp"

namespace corral::scheduler {

using Time = std::chrono::steady_clock::time_point;

struct TenantQueue;

struct Ticket {
  std::uint64_t id = 0;
  std::string tenant;
  Priority priority = Priority::normal;
  double weight = 1;
  double cost = 1;  // estimated tokens
  Time enqueued{};
  // Set by FairQueue::submit: the queue of the tenant and class in the FairQueue that took the
  // ticket, so that completing it needs no lookup. Valid for that FairQueue's life (its queues
  // are never removed); null until submitted.
  TenantQueue* queue = nullptr;
};

// One tenant's requests waiting within one priority class, and its virtual token counter (the
// FairQueue's own: callers only carry a pointer to it in their tickets).
struct TenantQueue {
  // The queue's place in its class's backlog: smallest counter first; on equal counters, the
  // earliest head request (ids grow with arrival).
  using Key = std::tuple<double, std::uint64_t, TenantQueue*>;
  std::deque<Ticket> waiting;
  double counter = 0;      // virtual tokens served / weight, within the class
  int cls = 0;             // the priority class
  std::optional<Key> key;  // set while the queue is in its class's backlog
};

struct QueueBounds {
  std::uint64_t max_queue = 10000;
  std::uint64_t max_queue_per_tenant = 1000;
  double min_share[4] = {0, 0.10, 0.05, 0.02};  // by Priority; critical has none
  bool fifo = false;
  double headroom = 0;  // share of slots kept free for higher classes while they are active
};

class FairQueue {
 public:
  enum class Outcome { dispatched, queued, queue_full, tenant_queue_full };

  explicit FairQueue(std::uint64_t slots, QueueBounds bounds = {}) : slots_(slots), bounds_(bounds) {}

  // Capacity and bounds may change (reload); queued requests stay.
  void configure(std::uint64_t slots, QueueBounds bounds);
  // The provider account's requests and tokens per minute (0: none).
  void configure_rate(double requests_per_minute, double tokens_per_minute, Time now);
  // Tenants' weights changed (reload): queued requests take the new weight for the next choice.
  // `weight_of` returns the tenant's weight, or a value <= 0 to leave it as it is.
  template <typename F>
  void reweight(F&& weight_of) {
    for (auto& [k, q] : tenants_)
      for (auto& t : q->waiting)
        if (double w = weight_of(t.tenant); w > 0) t.weight = w;
    for (auto& t : fifo_)
      if (double w = weight_of(t.tenant); w > 0) t.weight = w;
  }

  // A new request (at t.enqueued): dispatched at once when a slot is free, the rate allows and
  // nothing waits, else queued (or refused when a bound is reached). Sets t.queue.
  Outcome submit(Ticket& t);
  Outcome submit(Ticket&& t) { return submit(t); }  // a caller with no use for the queue
  // The next request to dispatch when a slot is free and the rate allows it (it then holds the
  // slot), or nothing.
  std::optional<Ticket> next(Time now);
  // After next() gave nothing although a slot is free and requests wait: how long until the
  // provider's rate lets the chosen one go. Nothing when it is not the rate that holds them.
  std::optional<Duration> rate_wait(Time now);
  // A dispatched request finished: its slot is free and its tenant's counter (and the provider's
  // token bucket) is corrected from the estimate to the real cost. `t` is the ticket submit() or
  // next() gave back (or a copy of it).
  void complete(const Ticket& t, double actual_cost, Time now);
  // A queued request leaves (client gone, waited too long). False if it was not queued.
  bool cancel(std::uint64_t id);

  // A request submitted now would be dispatched at once: a free slot, nothing waiting, and the
  // provider's rate allows one more.
  bool available(Time now) { return queued_ == 0 && in_flight_ < slots_ && rate_.wait(0, now) == Duration::zero(); }

  std::uint64_t in_flight() const { return in_flight_; }
  std::uint64_t queued() const { return queued_; }
  std::uint64_t queued(const std::string& tenant) const;
  double counter(const std::string& tenant) const;

 private:
  using Key = TenantQueue::Key;
  struct ClassState {
    std::set<Key> backlogged;  // queues of this class with waiting requests
    double credit = 0;                     // min_share floor: dispatches owed to this class
    double virtual_time = 0;               // counter of the latest dispatch in the class
    std::optional<Time> last_served;       // when the class last had a request dispatched
  };

  // One queue per tenant and priority class (a request may lower its own class), found by the
  // tenant's name and the class without building a key.
  struct QueueKey {
    std::string tenant;
    int cls;
  };
  struct QueueKeyView {
    std::string_view tenant;
    int cls;
  };
  struct QueueKeyHash {
    using is_transparent = void;
    std::size_t operator()(const QueueKeyView& k) const noexcept {
      return std::hash<std::string_view>()(k.tenant) ^ (static_cast<std::size_t>(k.cls) * 0x9e3779b97f4a7c15ull);
    }
    std::size_t operator()(const QueueKey& k) const noexcept { return (*this)(QueueKeyView{k.tenant, k.cls}); }
  };
  struct QueueKeyEq {
    using is_transparent = void;
    static QueueKeyView view(const QueueKey& k) { return {k.tenant, k.cls}; }
    static QueueKeyView view(const QueueKeyView& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      const auto x = view(a), y = view(b);
      return x.cls == y.cls && x.tenant == y.tenant;
    }
  };

  TenantQueue& queue_of(const Ticket& t);
  const TenantQueue* find(std::string_view tenant, int cls) const;
  void serve(TenantQueue& q, const Ticket& t, int cls, Time now);
  void set_counter(TenantQueue& q, int cls, double value);
  void index(TenantQueue& q, int cls);    // (re)places q in the backlog by its counter and head
  void unindex(TenantQueue& q, int cls);
  int choose_class() const;
  void account_dispatch(int chosen);
  bool held_by_headroom(int cls, Time now) const;
  const Ticket& candidate() const;  // the request next() would choose (queued_ > 0)

  std::unordered_map<std::uint64_t, TenantQueue*> where_;  // queued ticket id -> its queue

  std::uint64_t slots_;
  QueueBounds bounds_;
  std::uint64_t in_flight_ = 0, queued_ = 0;
  // Each queue is held by pointer, so that where_ and the backlog may point at it while the table
  // grows; the table itself is open-addressed (one or two cache misses for a tenant gone cold).
  FlatMap<QueueKey, std::unique_ptr<TenantQueue>, QueueKeyHash, QueueKeyEq> tenants_;
  ClassState classes_[4];
  std::deque<Ticket> fifo_;
  ProviderRate rate_;
};

}  // namespace corral::scheduler
