#include "http/disconnect_watch.hpp"

namespace corral::http_server {

void DisconnectWatch::start() {
  state_->gone = false;
  state_->active = true;
  stream_.socket().async_wait(tcp::socket::wait_read, [state = state_, s = &stream_](const error_code& ec) {
    if (ec || !state->active) return;
    if (!s->peer_closed()) return;  // pipelined bytes of the next request: not a disconnect
    state->gone = true;
    state->signal.emit(asio::cancellation_type::terminal);
  });
}

void DisconnectWatch::stop() {
  if (!state_->active) return;
  state_->active = false;
  stream_.cancel();  // ends the pending wait
}

}  // namespace corral::http_server
