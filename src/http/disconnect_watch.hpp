// Watches a client connection while its request is being served, so that a client that goes away
// stops the work done for it: a request waiting in a provider's queue leaves it, an upstream
// request is cut. One watch per connection, started once per request; the stages are told through
// a cancellation slot (emitted at most once per request).
//
// A watch is armed only once its request has run for WatchQueue's delay. Arming one is a wait for
// readability on the client socket, which costs the reactor an epoll_ctl; most requests are
// answered within a millisecond and never need it. A client that leaves before its watch is armed
// is seen as soon as it is (its socket is readable by then).
#pragma once

#include <memory>

#include "corral/any_stream.hpp"
#include "corral/units.hpp"

namespace corral::http_server {

class WatchQueue;

class DisconnectWatch {
 public:
  DisconnectWatch(AnyStream& stream, WatchQueue& queue) : stream_(stream), queue_(queue), state_(std::make_shared<State>()) {}
  ~DisconnectWatch();
  DisconnectWatch(const DisconnectWatch&) = delete;
  DisconnectWatch& operator=(const DisconnectWatch&) = delete;

  // Begins watching: the watch waits in the queue until its request has run for the delay.
  void start();
  // Ends the watch; with an armed one, no other operation may be pending on the stream.
  void stop();

  asio::cancellation_slot slot() { return state_->signal.slot(); }
  const bool* gone() const { return &state_->gone; }
  bool armed() const { return state_->active; }

 private:
  friend class WatchQueue;
  // The wait itself (bytes of a pipelined request are not a disconnect: the watch then ends).
  void arm();

  struct State {
    asio::cancellation_signal signal;
    bool active = false, gone = false;
  };
  AnyStream& stream_;
  WatchQueue& queue_;
  std::shared_ptr<State> state_;  // shared with the pending wait's handler
  // While queued: the queue's links, in order of start, and when the watch is due.
  DisconnectWatch* prev_ = nullptr;
  DisconnectWatch* next_ = nullptr;
  SteadyTime due_{};
  bool queued_ = false;
};

// The watches of one worker started and not armed yet, in order of start, and one timer that
// arms those that are due. The timer runs only while watches wait, and fires at most once per
// delay: under load that is one timer wake-up per delay, not a system call per request.
class WatchQueue {
 public:
  static constexpr Duration kDefaultDelay = std::chrono::milliseconds(5);

  explicit WatchQueue(const asio::any_io_executor& ex, Duration delay = kDefaultDelay);
  ~WatchQueue();
  WatchQueue(const WatchQueue&) = delete;
  WatchQueue& operator=(const WatchQueue&) = delete;

  void add(DisconnectWatch& w, SteadyTime now);
  void remove(DisconnectWatch& w) noexcept;

  std::size_t waiting() const { return size_; }
  std::uint64_t armed_total() const { return armed_; }  // watches armed so far

 private:
  void schedule(SteadyTime at);
  void on_timer();

  struct Timer;  // the timer and the handler's way back here
  Duration delay_;
  std::shared_ptr<Timer> timer_;
  DisconnectWatch* head_ = nullptr;
  DisconnectWatch* tail_ = nullptr;
  std::size_t size_ = 0;
  std::uint64_t armed_ = 0;
};

}  // namespace corral::http_server
