// Collapses concurrent identical cache misses within the process: the first request for a key
// (the leader) goes upstream; the others wait for its answer. If the leader fails, one waiter
// becomes the leader and tries again (the others keep waiting); if its answer cannot be shared
// (too large to keep), every waiter goes upstream on its own. Shared by every I/O thread: a mutex
// held for map and queue operations only; a waiter sleeps on a timer of its own thread and is
// woken by a handler posted there.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cache/cached_answer.hpp"
#include "corral/asio.hpp"
#include "corral/units.hpp"

namespace corral::cache {

class SingleFlight {
 public:
  struct Outcome {
    enum class Kind { answer, lead, alone };  // got the answer / now the leader / go on uncoordinated
    Kind kind = Kind::alone;
    AnswerPtr answer;
  };
  class Waiter;
  using WaiterPtr = std::shared_ptr<Waiter>;

  // Null when the caller is the leader for `key`; otherwise its place in the flight.
  WaiterPtr join(const std::string& key, const asio::any_io_executor& ex);
  // A place in the flight for `key` if there is one (null: none; the caller does not lead).
  WaiterPtr join_existing(const std::string& key, const asio::any_io_executor& ex);
  // Waits at most `max_wait` (then goes on alone).
  awaitable<Outcome> wait(const std::string& key, WaiterPtr w, Duration max_wait);

  void succeed(const std::string& key, AnswerPtr answer);  // every waiter gets the answer
  void fail(const std::string& key);                       // the next waiter leads
  void release(const std::string& key);                    // every waiter goes on alone

  std::size_t flights() const;

 private:
  void settle_locked(const std::string& key, Outcome::Kind kind, AnswerPtr answer, bool one,
                     std::vector<WaiterPtr>& wake);
  static void wake(const std::vector<WaiterPtr>& ws);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::deque<WaiterPtr>> flights_;  // key -> waiters, in arrival order
};

// The leader's side of a flight: unless it succeeds or releases, ending it hands the lead on.
class FlightLead {
 public:
  FlightLead() = default;
  FlightLead(SingleFlight* sf, std::string key) : sf_(sf), key_(std::move(key)) {}
  FlightLead(FlightLead&& o) noexcept { *this = std::move(o); }
  FlightLead& operator=(FlightLead&& o) noexcept;
  ~FlightLead() { end(false, nullptr); }
  explicit operator bool() const { return sf_ != nullptr; }
  void succeed(AnswerPtr a) { end(true, std::move(a)); }
  void release() { end(true, nullptr); }

 private:
  void end(bool settled, AnswerPtr a);
  SingleFlight* sf_ = nullptr;
  std::string key_;
};

}  // namespace corral::cache
