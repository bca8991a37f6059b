// A deadline for the I/O operations of one connection: when it passes, the given action runs
// (typically: cancel the socket's operations) and fired() reports it afterwards. Re-arming or
// disarming makes an earlier expiry harmless, even if its handler was already queued. The timer
// handler holds only a weak reference, so it never outlives the owner.
#pragma once

#include <cstdint>
#include <memory>

#include "corral/asio.hpp"
#include "corral/units.hpp"

namespace corral {

class Watchdog {
 public:
  explicit Watchdog(const asio::any_io_executor& ex) : state_(std::make_shared<State>(ex)) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { state_->timer.cancel(); }

  template <class Action>
  void arm(Duration d, Action action) {
    auto& st = *state_;
    const auto gen = ++st.generation;
    st.fired = false;
    st.timer.expires_after(d);
    st.timer.async_wait([weak = std::weak_ptr<State>(state_), gen, action = std::move(action)](
                            const error_code& ec) mutable {
      auto s = weak.lock();
      if (ec || !s || s->generation != gen) return;
      s->fired = true;
      action();
    });
  }

  void disarm() noexcept {
    ++state_->generation;
    state_->timer.cancel();
  }

  bool fired() const noexcept { return state_->fired; }

 private:
  struct State {
    explicit State(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    std::uint64_t generation = 0;
    bool fired = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace corral
