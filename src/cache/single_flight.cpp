#include "cache/single_flight.hpp"

namespace corral::cache {

class SingleFlight::Waiter {
 public:
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool settled = false;
  Outcome outcome;
};

SingleFlight::WaiterPtr SingleFlight::join(const std::string& key, const asio::any_io_executor& ex) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = flights_.try_emplace(key);
  if (inserted) return nullptr;  // the first: the leader
  auto w = std::make_shared<Waiter>(ex);
  it->second.push_back(w);
  return w;
}

SingleFlight::WaiterPtr SingleFlight::join_existing(const std::string& key, const asio::any_io_executor& ex) {
  std::lock_guard lock(mu_);
  auto it = flights_.find(key);
  if (it == flights_.end()) return nullptr;
  auto w = std::make_shared<Waiter>(ex);
  it->second.push_back(w);
  return w;
}

awaitable<SingleFlight::Outcome> SingleFlight::wait(const std::string& key, WaiterPtr w, Duration max_wait) {
  w->timer.expires_after(max_wait);
  co_await w->timer.async_wait(use_nothrow);
  {
    std::lock_guard lock(mu_);  // `settled` and `outcome` are written under it
    if (!w->settled) {
      if (auto it = flights_.find(key); it != flights_.end()) std::erase(it->second, w);
      co_return Outcome{};  // waited long enough: on alone
    }
  }
  co_return w->outcome;
}

void SingleFlight::wake(const std::vector<WaiterPtr>& ws) {
  for (const auto& w : ws)
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

void SingleFlight::settle_locked(const std::string& key, Outcome::Kind kind, AnswerPtr answer, bool one,
                                 std::vector<WaiterPtr>& woken) {
  auto it = flights_.find(key);
  if (it == flights_.end()) return;
  auto& q = it->second;
  while (!q.empty()) {
    auto w = std::move(q.front());
    q.pop_front();
    w->settled = true;
    w->outcome = {kind, answer};
    woken.push_back(std::move(w));
    if (one) return;  // the new leader: the flight goes on with the rest waiting
  }
  flights_.erase(it);
}

void SingleFlight::succeed(const std::string& key, AnswerPtr answer) {
  std::vector<WaiterPtr> woken;
  {
    std::lock_guard lock(mu_);
    settle_locked(key, Outcome::Kind::answer, std::move(answer), false, woken);
  }
  wake(woken);
}

void SingleFlight::fail(const std::string& key) {
  std::vector<WaiterPtr> woken;
  {
    std::lock_guard lock(mu_);
    settle_locked(key, Outcome::Kind::lead, nullptr, true, woken);
  }
  wake(woken);
}

void SingleFlight::release(const std::string& key) {
  std::vector<WaiterPtr> woken;
  {
    std::lock_guard lock(mu_);
    settle_locked(key, Outcome::Kind::alone, nullptr, false, woken);
  }
  wake(woken);
}

std::size_t SingleFlight::flights() const {
  std::lock_guard lock(mu_);
  return flights_.size();
}

FlightLead& FlightLead::operator=(FlightLead&& o) noexcept {
  if (this != &o) {
    end(false, nullptr);
    sf_ = std::exchange(o.sf_, nullptr);
    key_ = std::move(o.key_);
  }
  return *this;
}

void FlightLead::end(bool settled, AnswerPtr a) {
  if (!sf_) return;
  auto* sf = std::exchange(sf_, nullptr);
  if (!settled) sf->fail(key_);
  else if (a) sf->succeed(key_, std::move(a));
  else sf->release(key_);
}

}  // namespace corral::cache
