// A deadline for the I/O operations of one connection: when it passes, the given action runs
// (typically: cancel the socket's operations) and fired() reports it afterwards. Re-arming or
// disarming makes an earlier expiry harmless, even if its handler was already queued. The timer
// handler holds only a weak reference, so it never outlives the owner.
//
// Arming is lazy, as a connection re-arms its deadline on every read and write: arm() and
// disarm() only record the deadline while the timer's pending wait ends no later than it; the
// wait, when it ends, runs the action if the deadline has passed and otherwise waits again for
// the deadline recorded then. The timer is set anew only for a deadline earlier than its wait's
// (one timer operation per timeout period of a busy connection instead of two per operation).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "corral/asio.hpp"
#include "corral/units.hpp"

namespace corral {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::hours kFarthest{24 * 365 * 10};  // a longer timeout is this long

  explicit Watchdog(const asio::any_io_executor& ex) : state_(std::make_shared<State>(ex)) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { state_->timer.cancel(); }

  // `action` is called at most once, on this connection's thread, if the deadline passes before
  // the next arm() or disarm(). (Actions capturing a pointer are stored without allocating.)
  template <class Action>
  void arm(Duration d, Action action) {
    auto& st = *state_;
    st.fired = false;
    st.action = std::move(action);
    st.deadline = Clock::now() + std::min<Clock::duration>(d, kFarthest);
    if (!st.waiting || st.deadline < st.wait_until) wait(state_);
  }

  void disarm() noexcept {
    state_->deadline = Clock::time_point::max();
    state_->action = nullptr;
  }

  bool fired() const noexcept { return state_->fired; }

 private:
  struct State {
    explicit State(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();  // max: disarmed
    Clock::time_point wait_until{};                        // the pending wait's expiry
    std::function<void()> action;
    std::uint64_t wait_id = 0;  // which wait is pending: an earlier one's handler does nothing
    bool waiting = false;
    bool fired = false;
  };

  // Sets the timer for `s->deadline`; the wait's end runs the action or waits again.
  static void wait(const std::shared_ptr<State>& s) {
    s->waiting = true;
    s->wait_until = s->deadline;
    s->timer.expires_at(s->deadline);  // (cancels a pending wait: its handler sees a stale id)
    s->timer.async_wait([weak = std::weak_ptr<State>(s), id = ++s->wait_id](const error_code&) {
      auto st = weak.lock();
      if (!st || st->wait_id != id) return;
      st->waiting = false;
      if (st->deadline == Clock::time_point::max()) return;  // disarmed meanwhile
      if (Clock::now() < st->deadline) {                      // re-armed for later: wait for that
        wait(st);
        return;
      }
      st->fired = true;
      st->deadline = Clock::time_point::max();
      auto action = std::move(st->action);
      st->action = nullptr;
      action();
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace corral
