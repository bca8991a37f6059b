// Watches a client connection while its request is being served, so that a client that goes away
// stops the work done for it: a request waiting in a provider's queue leaves it, an upstream
// request is cut. One watch per connection, started once per request; the stages are told through
// a cancellation slot (emitted at most once per request).
#pragma once

#include <memory>

#include "corral/any_stream.hpp"

namespace corral::http_server {

class DisconnectWatch {
 public:
  explicit DisconnectWatch(AnyStream& stream) : stream_(stream), state_(std::make_shared<State>()) {}
  ~DisconnectWatch() { state_->active = false; }
  DisconnectWatch(const DisconnectWatch&) = delete;
  DisconnectWatch& operator=(const DisconnectWatch&) = delete;

  // Begins watching (bytes of a pipelined request are not a disconnect: the watch then ends).
  void start();
  // Ends the watch; no other operation may be pending on the stream.
  void stop();

  asio::cancellation_slot slot() { return state_->signal.slot(); }
  const bool* gone() const { return &state_->gone; }

 private:
  struct State {
    asio::cancellation_signal signal;
    bool active = false, gone = false;
  };
  AnyStream& stream_;
  std::shared_ptr<State> state_;  // shared with the pending wait's handler
};

}  // namespace corral::http_server
