#include "scheduler/fair_queue.hpp"

#include <algorithm>
#include <cmath>

namespace corral::scheduler {

void FairQueue::configure(std::uint64_t slots, QueueBounds bounds) {
  slots_ = slots;
  bounds_ = bounds;
}

void FairQueue::configure_rate(double requests_per_minute, double tokens_per_minute, Time now) {
  rate_.configure(requests_per_minute, tokens_per_minute, now);
}

TenantQueue& FairQueue::queue_of(const Ticket& t) {
  const int cls = static_cast<int>(t.priority);
  if (auto it = tenants_.find(QueueKeyView{t.tenant, cls}); it != tenants_.end()) return *it->second;
  auto& q = *tenants_.try_emplace(QueueKey{t.tenant, cls}, std::make_unique<TenantQueue>()).first->second;
  q.cls = cls;
  return q;
}

const TenantQueue* FairQueue::find(std::string_view tenant, int cls) const {
  auto it = tenants_.find(QueueKeyView{tenant, cls});
  return it == tenants_.end() ? nullptr : it->second.get();
}

std::uint64_t FairQueue::queued(const std::string& tenant) const {
  std::uint64_t n = 0;
  for (int p = 0; p < 4; ++p)
    if (const auto* q = find(tenant, p)) n += q->waiting.size();
  if (bounds_.fifo)
    n += static_cast<std::uint64_t>(std::count_if(fifo_.begin(), fifo_.end(), [&](const Ticket& t) { return t.tenant == tenant; }));
  return n;
}

double FairQueue::counter(const std::string& tenant) const {
  double c = 0;
  for (int p = 0; p < 4; ++p)
    if (const auto* q = find(tenant, p)) c += q->counter;
  return c;
}

// Counts a dispatch of `t` from `q`: the class's virtual time moves to the tenant's counter
// and the counter grows by the request's cost over the tenant's weight.
void FairQueue::serve(TenantQueue& q, const Ticket& t, int cls, Time now) {
  auto& c = classes_[cls];
  if (!c.last_served || *c.last_served < now) c.last_served = now;
  c.virtual_time = std::max(c.virtual_time, q.counter);
  q.counter += t.cost / std::max(t.weight, 1e-9);
  ++in_flight_;
}

FairQueue::Outcome FairQueue::submit(Ticket& t) {
  const int cls = static_cast<int>(t.priority);
  auto& q = queue_of(t);
  t.queue = &q;
  if (q.waiting.empty() && !bounds_.fifo) q.counter = std::max(q.counter, classes_[cls].virtual_time);  // no banked credit
  // Waiting requests go first, unless all that holds them is headroom kept for a class like t's.
  bool others_first = queued_ > 0;
  if (others_first && !bounds_.fifo) {
    const int waiting = static_cast<int>(candidate().priority);
    others_first = !(cls < waiting && held_by_headroom(waiting, t.enqueued));
  }
  if (in_flight_ < slots_ && !others_first && !held_by_headroom(cls, t.enqueued) &&
      rate_.wait(t.cost, t.enqueued) == Duration::zero()) {
    rate_.take(t.cost, t.enqueued);
    serve(q, t, cls, t.enqueued);
    return Outcome::dispatched;
  }
  if (queued_ >= bounds_.max_queue) return Outcome::queue_full;
  if (queued(t.tenant) >= bounds_.max_queue_per_tenant) return Outcome::tenant_queue_full;
  ++queued_;
  if (bounds_.fifo) {
    fifo_.push_back(t);
    return Outcome::queued;
  }
  q.waiting.push_back(t);
  if (q.waiting.size() == 1) index(q, cls);
  where_[t.id] = &q;
  return Outcome::queued;
}

// The class to serve next: the highest with waiting requests, unless a lower waiting class is
// owed a whole dispatch by its min_share (its credit, with this dispatch's share, reaches 1).
int FairQueue::choose_class() const {
  int top = -1;
  for (int c = 0; c < 4 && top < 0; ++c)
    if (!classes_[c].backlogged.empty()) top = c;
  int owed = -1;
  double owed_credit = 0;
  for (int c = top + 1; c < 4; ++c) {
    if (classes_[c].backlogged.empty()) continue;
    const double credit = classes_[c].credit + bounds_.min_share[c];
    if (credit >= 1.0 && (owed < 0 || credit > owed_credit)) {
      owed = c;
      owed_credit = credit;
    }
  }
  return owed >= 0 ? owed : top;
}

// A dispatch from class `chosen`: lower classes that wait earn their min_share of it (idle ones
// bank nothing), and the chosen class spends one dispatch of its credit.
void FairQueue::account_dispatch(int chosen) {
  int top = 0;
  while (top < 4 && classes_[top].backlogged.empty()) ++top;
  for (int c = top + 1; c < 4; ++c) {
    auto& cs = classes_[c];
    cs.credit = cs.backlogged.empty() ? 0 : cs.credit + bounds_.min_share[c];
  }
  classes_[chosen].credit = std::max(0.0, classes_[chosen].credit - 1.0);
}

const Ticket& FairQueue::candidate() const {
  if (bounds_.fifo) return fifo_.front();
  return std::get<2>(*classes_[choose_class()].backlogged.begin())->waiting.front();
}

// Whether a request of class `cls` must leave the free slots to a higher class that has been
// served within the last second (a second: a few service times of a typical request).
bool FairQueue::held_by_headroom(int cls, Time now) const {
  if (bounds_.headroom <= 0 || bounds_.fifo) return false;
  const auto reserve = std::min<std::uint64_t>(slots_ - 1, static_cast<std::uint64_t>(std::ceil(bounds_.headroom * static_cast<double>(slots_))));
  if (slots_ - in_flight_ > reserve) return false;
  for (int h = 0; h < cls; ++h)
    if (const auto& c = classes_[h]; !c.backlogged.empty() || (c.last_served && now - *c.last_served < std::chrono::seconds(1)))
      return true;
  return false;
}

std::optional<Duration> FairQueue::rate_wait(Time now) {
  if (in_flight_ >= slots_ || queued_ == 0 || !rate_.limited()) return std::nullopt;
  const Ticket& t = candidate();
  if (held_by_headroom(static_cast<int>(t.priority), now)) return std::nullopt;  // a slot ending frees it
  return rate_.wait(t.cost, now);
}

std::optional<Ticket> FairQueue::next(Time now) {
  if (in_flight_ >= slots_ || queued_ == 0) return std::nullopt;
  const int cls = bounds_.fifo ? static_cast<int>(fifo_.front().priority) : choose_class();
  const Ticket& head = bounds_.fifo ? fifo_.front() : std::get<2>(*classes_[cls].backlogged.begin())->waiting.front();
  if (held_by_headroom(cls, now)) return std::nullopt;
  if (rate_.limited()) {
    if (rate_.wait(head.cost, now) > Duration::zero()) return std::nullopt;
    rate_.take(head.cost, now);
  }
  --queued_;
  if (bounds_.fifo) {
    Ticket t = fifo_.front();
    fifo_.pop_front();
    serve(*t.queue, t, static_cast<int>(t.priority), now);  // set by submit()
    return t;
  }
  account_dispatch(cls);
  TenantQueue& q = *std::get<2>(*classes_[cls].backlogged.begin());  // the smallest counter
  unindex(q, cls);
  Ticket t = q.waiting.front();
  q.waiting.pop_front();
  where_.erase(t.id);
  serve(q, t, cls, now);
  index(q, cls);
  return t;
}

void FairQueue::complete(const Ticket& t, double actual_cost, Time now) {
  if (in_flight_ > 0) --in_flight_;
  rate_.correct(t.cost, actual_cost, now);  // a request count once taken stays taken
  if (bounds_.fifo) return;
  if (!t.queue) return;  // never submitted here
  auto& q = *t.queue;
  set_counter(q, q.cls, q.counter + (actual_cost - t.cost) / std::max(t.weight, 1e-9));
}

void FairQueue::unindex(TenantQueue& q, int cls) {
  if (!q.key) return;
  classes_[cls].backlogged.erase(*q.key);
  q.key.reset();
}

void FairQueue::index(TenantQueue& q, int cls) {
  unindex(q, cls);
  if (q.waiting.empty()) return;
  q.key = Key{q.counter, q.waiting.front().id, &q};
  classes_[cls].backlogged.insert(*q.key);
}

// Changes a queue's counter, keeping the class's ordering right if the queue is waiting.
void FairQueue::set_counter(TenantQueue& q, int cls, double value) {
  q.counter = value;
  if (q.key) index(q, cls);
}

bool FairQueue::cancel(std::uint64_t id) {
  if (bounds_.fifo) {
    auto it = std::find_if(fifo_.begin(), fifo_.end(), [&](const Ticket& t) { return t.id == id; });
    if (it == fifo_.end()) return false;
    fifo_.erase(it);
    --queued_;
    return true;
  }
  auto w = where_.find(id);
  if (w == where_.end()) return false;
  auto& q = *w->second;
  const int cls = q.cls;
  where_.erase(w);
  auto it = std::find_if(q.waiting.begin(), q.waiting.end(), [&](const Ticket& t) { return t.id == id; });
  if (it == q.waiting.end()) return false;
  q.waiting.erase(it);
  --queued_;
  index(q, cls);  // a new head, or out of the backlog when empty
  return true;
}

}  // namespace corral::scheduler
