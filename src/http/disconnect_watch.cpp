#include "http/disconnect_watch.hpp"

#include <algorithm>

namespace corral::http_server {

// --- DisconnectWatch ---

DisconnectWatch::~DisconnectWatch() {
  queue_.remove(*this);
  state_->active = false;
}

void DisconnectWatch::start() {
  state_->gone = false;
  queue_.add(*this, std::chrono::steady_clock::now());
}

void DisconnectWatch::arm() {
  state_->active = true;
  stream_.socket().async_wait(tcp::socket::wait_read, [state = state_, s = &stream_](const error_code& ec) {
    if (ec || !state->active) return;
    if (!s->peer_closed()) return;  // pipelined bytes of the next request: not a disconnect
    state->gone = true;
    state->signal.emit(asio::cancellation_type::terminal);
  });
}

void DisconnectWatch::stop() {
  if (queued_) {
    queue_.remove(*this);
    return;
  }
  if (!state_->active) return;
  state_->active = false;
  stream_.cancel();  // ends the pending wait
}

// --- WatchQueue ---

struct WatchQueue::Timer {
  explicit Timer(const asio::any_io_executor& ex, WatchQueue* q) : timer(ex), queue(q) {}
  asio::steady_timer timer;
  WatchQueue* queue;  // null once the queue is gone
  bool pending = false;
};

WatchQueue::WatchQueue(const asio::any_io_executor& ex, Duration delay)
    : delay_(delay), timer_(std::make_shared<Timer>(ex, this)) {}

WatchQueue::~WatchQueue() {
  while (head_) remove(*head_);
  timer_->queue = nullptr;
  timer_->timer.cancel();
}

void WatchQueue::add(DisconnectWatch& w, SteadyTime now) {
  if (w.queued_) remove(w);
  w.due_ = now + delay_;
  w.prev_ = tail_;
  w.next_ = nullptr;
  (tail_ ? tail_->next_ : head_) = &w;
  tail_ = &w;
  w.queued_ = true;
  ++size_;
  if (!timer_->pending) schedule(w.due_);
}

void WatchQueue::remove(DisconnectWatch& w) noexcept {
  if (!w.queued_) return;
  (w.prev_ ? w.prev_->next_ : head_) = w.next_;
  (w.next_ ? w.next_->prev_ : tail_) = w.prev_;
  w.prev_ = w.next_ = nullptr;
  w.queued_ = false;
  --size_;
  // (The timer stays as it is: when it fires with nothing due it is not armed again.)
}

void WatchQueue::schedule(SteadyTime at) {
  timer_->pending = true;
  timer_->timer.expires_at(at);
  timer_->timer.async_wait([weak = std::weak_ptr<Timer>(timer_)](const error_code& ec) {
    auto t = weak.lock();
    if (!t) return;
    t->pending = false;
    if (!ec && t->queue) t->queue->on_timer();
  });
}

void WatchQueue::on_timer() {
  const auto now = std::chrono::steady_clock::now();
  while (head_ && head_->due_ <= now) {
    auto& w = *head_;
    remove(w);
    ++armed_;
    w.arm();
  }
  // What is left is due later; waking at most once per delay keeps the timer off the hot path.
  if (head_) schedule(std::max(head_->due_, now + delay_));
}

}  // namespace corral::http_server
