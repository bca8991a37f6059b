#include "load_run.hpp"

#include "answer.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <iomanip>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "corral/asio.hpp"
#include "corral/watchdog.hpp"

namespace corral::load {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// An event with generated text in it (either dialect's): a delta's content or text that is not "".
// The events before it (the role chunk, message_start) may be held back by a gateway that can
// still fail over until the answer has content, so time to the first token is measured from it.
bool carries_text(std::string_view event) {
  for (std::string_view key : {R"("content":")", R"("text":")"})
    for (auto at = event.find(key); at != std::string_view::npos; at = event.find(key, at + 1))
      if (at + key.size() < event.size() && event[at + key.size()] != '"') return true;
  return false;
}

std::uint64_t us(Clock::duration d) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

std::string raw_request(const RunPlan& plan, const TenantPlan& t, const std::string& key) {
  std::string r = "POST " + t.path + " HTTP/1.1\r\nHost: " + plan.host + "\r\nContent-Type: application/json\r\n";
  if (!key.empty()) r += "Authorization: Bearer " + key + "\r\n";
  for (const auto& [n, v] : t.headers) r += n + ": " + v + "\r\n";
  r += "Content-Length: " + std::to_string(t.body.size()) + "\r\n\r\n" + t.body;
  return r;
}

// The requests a tenant sends: the same one each time, or with `keys`, one per key, the k-th drawn
// with probability proportional to 1/k^zipf (the generator runs on one thread).
class Requests {
 public:
  Requests(const RunPlan& plan, const TenantPlan& t) {
    if (t.keys.empty()) {
      raw_.push_back(raw_request(plan, t, t.key));
      return;
    }
    double total = 0;
    for (std::size_t k = 0; k < t.keys.size(); ++k) {
      raw_.push_back(raw_request(plan, t, t.keys[k]));
      total += 1.0 / std::pow(static_cast<double>(k + 1), t.zipf);
      cdf_.push_back(total);
    }
    for (auto& c : cdf_) c /= total;
  }

  const std::string& next() {
    if (raw_.size() == 1) return raw_[0];
    const auto at = std::upper_bound(cdf_.begin(), cdf_.end(), uniform_(rng_)) - cdf_.begin();
    return raw_[std::min<std::size_t>(static_cast<std::size_t>(at), raw_.size() - 1)];
  }

 private:
  std::vector<std::string> raw_;
  std::vector<double> cdf_;
  std::mt19937_64 rng_{20261125};
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
};

struct Conn {
  explicit Conn(asio::io_context& io) : socket(io), deadline(io.get_executor()) {}
  // Bytes asked for in each read: an answer's head and first events in one call (Beast's own reads
  // ask for the buffer's spare capacity, 512 bytes when it is emptied after every answer).
  static constexpr std::size_t kReadSize = 16 * 1024;
  tcp::socket socket;
  beast::flat_buffer buffer;
  std::string body;  // the last answer's (its capacity reused)
  Watchdog deadline;
  bool open = false;
};

struct Context {
  const RunPlan& plan;
  asio::io_context& io;
  tcp::endpoint target;
  Clock::time_point begin, t0, end;  // warm-up start, measured window [t0, end)
};

// One request on `c`; records into `r` when `record`. Returns false on a transport error.
awaitable<bool> exchange(Context& ctx, Conn& c, const std::string& request, Clock::time_point sent,
                         TenantResult& r, bool record, bool stream) {
  c.deadline.arm(ctx.plan.request_timeout, [s = &c.socket] {
    error_code ignored;
    s->close(ignored);
  });
  auto fail = [&] {
    c.deadline.disarm();
    error_code ignored;
    c.socket.close(ignored);
    c.open = false;
    c.buffer.clear();
    if (record) ++r.status[0];
    return false;
  };
  if (!c.open) {
    c.socket = tcp::socket(ctx.io);
    auto [ec] = co_await c.socket.async_connect(ctx.target, use_nothrow);
    if (ec) co_return fail();
    c.socket.set_option(tcp::no_delay(true), ec);
    c.open = true;
  }
  auto [wec, wn] = co_await asio::async_write(c.socket, asio::buffer(request), use_nothrow);
  if (wec) co_return fail();
  Answer p(c.body);
  p.body_limit(boost::none);
  p.eager(true);
  bool first = true, seen_text = false;
  std::size_t scanned = 0, event_start = 0;
  // Each read is timed as its bytes arrive, before they are parsed: an answer whose head comes with
  // its first event (corral holds the head until the first content) is not charged the head's parse.
  while (!p.is_done()) {
    auto [ec, n] = co_await c.socket.async_read_some(c.buffer.prepare(Conn::kReadSize), use_nothrow);
    const auto now = Clock::now();
    error_code pec;
    if (ec == asio::error::eof) {
      p.put_eof(pec);  // an answer delimited by the end of the connection ends here
      if (pec || !p.is_done()) co_return fail();
    } else if (ec) {
      co_return fail();
    }
    c.buffer.commit(n);
    while (c.buffer.size() > 0 && !p.is_done()) {
      const auto used = p.put(c.buffer.data(), pec);
      c.buffer.consume(used);
      if (pec == http::error::need_more) break;
      if (pec) co_return fail();
      if (used == 0) break;
    }
    const auto& body = p.body();
    if (!stream || body.size() == scanned) continue;
    if (first && record) r.ttfb_us.record(us(now - sent));
    first = false;
    for (auto at = body.find("\n\n", scanned > 0 ? scanned - 1 : 0); at != std::string::npos && at + 2 <= body.size();
         at = body.find("\n\n", at + 2)) {
      const std::string_view event(body.data() + event_start, at - event_start);
      event_start = at + 2;
      if (!record) continue;
      r.chunk_offset_sum_us += static_cast<double>(us(now - sent));
      ++r.chunks;
      if (carries_text(event)) {
        if (!seen_text) r.ttft_us.record(us(now - sent));
        seen_text = true;
        r.text_offset_sum_us += static_cast<double>(us(now - sent));
        ++r.text_chunks;
      }
    }
    scanned = body.size();
  }
  c.deadline.disarm();
  if (record) {
    r.latency_us.record(us(Clock::now() - sent));
    ++r.status[std::min<unsigned>(p.status() / 100, 5)];
    if (const auto ms = p.queue_ms()) r.queue_us.record(*ms * 1000);
  }
  if (!p.keep_alive()) {
    error_code ignored;
    c.socket.close(ignored);
    c.open = false;
  }
  co_return true;
}

awaitable<void> wait_until(Clock::time_point t) {
  asio::steady_timer timer(co_await asio::this_coro::executor, t);
  co_await timer.async_wait(use_nothrow);
}

// Closed loop: one connection sending back to back within the tenant's window.
awaitable<void> closed_loop(Context& ctx, const TenantPlan& t, TenantResult& r, std::shared_ptr<Requests> req) {
  Conn c(ctx.io);
  const auto from = t.start.count() ? ctx.t0 + t.start : ctx.begin;
  const auto until = t.stop.count() ? std::min(ctx.end, ctx.t0 + t.stop) : ctx.end;
  if (Clock::now() < from) co_await wait_until(from);
  while (Clock::now() < until) {
    const auto sent = Clock::now();
    if (!co_await exchange(ctx, c, req->next(), sent, r, sent >= ctx.t0, t.stream)) co_await wait_until(Clock::now() + 1ms);
  }
  error_code ignored;
  c.socket.close(ignored);
}

// Open loop: requests at their intended times, on up to `connections` connections.
struct OpenPool {
  std::deque<std::unique_ptr<Conn>> idle;
  std::deque<asio::steady_timer*> waiters;
  unsigned open = 0;
  std::uint64_t outstanding = 0;
  bool closing = false;  // the tenant's time is up: waiters give up instead of waiting again
};

// `pool_ref` is shared: requests still outstanding when the tenant's loop ends keep it alive.
awaitable<void> open_request(Context& ctx, const TenantPlan& t, TenantResult& r, std::shared_ptr<OpenPool> pool_ref,
                             std::shared_ptr<Requests> req, Clock::time_point intended) {
  OpenPool& pool = *pool_ref;
  std::unique_ptr<Conn> c;
  while (!c) {
    if (!pool.idle.empty()) {
      c = std::move(pool.idle.front());
      pool.idle.pop_front();
    } else if (pool.open < t.connections) {
      ++pool.open;
      c = std::make_unique<Conn>(ctx.io);
    } else {
      if (pool.closing) {
        --pool.outstanding;
        co_return;
      }
      asio::steady_timer wake(ctx.io, Clock::time_point::max());
      pool.waiters.push_back(&wake);
      co_await wake.async_wait(use_nothrow);
      std::erase(pool.waiters, &wake);  // woken or cancelled: no longer waiting
    }
  }
  co_await exchange(ctx, *c, req->next(), intended, r, intended >= ctx.t0, t.stream);
  --pool.outstanding;
  pool.idle.push_back(std::move(c));
  if (!pool.waiters.empty()) {
    pool.waiters.front()->cancel();
    pool.waiters.pop_front();
  }
}

awaitable<void> open_loop(Context& ctx, const TenantPlan& t, TenantResult& r, std::shared_ptr<Requests> req) {
  auto pool_ref = std::make_shared<OpenPool>();
  OpenPool& pool = *pool_ref;
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / t.rate));
  const auto until = t.stop.count() ? std::min(ctx.end, ctx.t0 + t.stop) : ctx.end;
  const std::uint64_t max_outstanding = static_cast<std::uint64_t>(t.connections) * 64;
  for (auto next = t.start.count() ? ctx.t0 + t.start : ctx.begin; next < until; next += interval) {
    if (Clock::now() < next) co_await wait_until(next);
    if (pool.outstanding >= max_outstanding) {  // the server is far behind: count, do not pile up
      if (next >= ctx.t0) ++r.dropped;
      continue;
    }
    ++pool.outstanding;
    asio::co_spawn(ctx.io, open_request(ctx, t, r, pool_ref, req, next), asio::detached);
  }
  while (pool.outstanding > 0 && Clock::now() < ctx.end + 2s) co_await wait_until(Clock::now() + 1ms);
  pool.closing = true;
  for (auto* w : std::vector<asio::steady_timer*>(pool.waiters.begin(), pool.waiters.end())) w->cancel();
}

nlohmann::json summary(const Histogram& h) {
  return {{"count", h.count()},     {"mean", std::round(h.mean())}, {"p50", h.quantile(0.50)},
          {"p90", h.quantile(0.90)}, {"p99", h.quantile(0.99)},      {"p999", h.quantile(0.999)},
          {"max", h.max()}};
}

double cpu_seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

}  // namespace

RunResult run(const RunPlan& plan) {
  asio::io_context io(1);
  Context ctx{plan, io, {}, {}, {}, {}};
  ctx.target = tcp::endpoint(asio::ip::make_address(plan.host), plan.port);
  ctx.begin = Clock::now();
  ctx.t0 = ctx.begin + plan.warmup;
  ctx.end = ctx.t0 + plan.duration;
  RunResult result;
  result.tenants.resize(plan.tenants.size());
  for (std::size_t i = 0; i < plan.tenants.size(); ++i) {
    const auto& t = plan.tenants[i];
    auto& r = result.tenants[i];
    r.name = t.name;
    auto req = std::make_shared<Requests>(plan, t);
    if (plan.mode == RunPlan::Mode::closed) {
      for (unsigned c = 0; c < t.connections; ++c) asio::co_spawn(io, closed_loop(ctx, t, r, req), asio::detached);
    } else {
      asio::co_spawn(io, open_loop(ctx, t, r, req), asio::detached);
    }
  }
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  io.run_until(ctx.end + plan.request_timeout + 1s);
  getrusage(RUSAGE_SELF, &after);
  result.seconds = std::chrono::duration<double>(plan.duration).count();
  result.cpu_user_s = cpu_seconds(after.ru_utime) - cpu_seconds(before.ru_utime);
  result.cpu_sys_s = cpu_seconds(after.ru_stime) - cpu_seconds(before.ru_stime);
  return result;
}

std::string to_json(const RunPlan& plan, const RunResult& r) {
  nlohmann::json out = {{"mode", plan.mode == RunPlan::Mode::open ? "open" : "closed"},
                        {"duration_s", r.seconds},
                        {"generator_cpu", {{"user_s", r.cpu_user_s}, {"sys_s", r.cpu_sys_s},
                                           {"utilisation", (r.cpu_user_s + r.cpu_sys_s) / (r.seconds + std::chrono::duration<double>(plan.warmup).count())}}}};
  Histogram all;
  std::array<std::uint64_t, 6> status{};
  for (const auto& t : r.tenants) {
    all.merge(t.latency_us);
    for (std::size_t i = 0; i < status.size(); ++i) status[i] += t.status[i];
    nlohmann::json jt = {{"count", t.latency_us.count()},
                         {"rps", static_cast<double>(t.latency_us.count()) / r.seconds},
                         {"status", {{"2xx", t.status[2]}, {"3xx", t.status[3]}, {"4xx", t.status[4]},
                                     {"5xx", t.status[5]}, {"errors", t.status[0]}, {"dropped", t.dropped}}},
                         {"latency_us", summary(t.latency_us)}};
    if (t.queue_us.count()) jt["queue_us"] = summary(t.queue_us);
    if (t.ttfb_us.count()) {
      jt["ttfb_us"] = summary(t.ttfb_us);
      jt["chunks"] = t.chunks;
      jt["chunk_offset_mean_us"] = t.chunks ? t.chunk_offset_sum_us / static_cast<double>(t.chunks) : 0;
      if (t.ttft_us.count()) jt["ttft_us"] = summary(t.ttft_us);
      jt["text_chunks"] = t.text_chunks;
      jt["text_offset_mean_us"] = t.text_chunks ? t.text_offset_sum_us / static_cast<double>(t.text_chunks) : 0;
    }
    out["tenants"][t.name] = jt;
  }
  out["total"] = {{"count", all.count()},
                  {"rps", static_cast<double>(all.count()) / r.seconds},
                  {"status", {{"2xx", status[2]}, {"4xx", status[4]}, {"5xx", status[5]}, {"errors", status[0]}}},
                  {"latency_us", summary(all)}};
  return out.dump(2);
}

std::string to_table(const RunPlan& plan, const RunResult& r) {
  std::ostringstream o;
  o << std::left << std::setw(14) << "tenant" << std::right << std::setw(9) << "count" << std::setw(10) << "rps"
    << std::setw(7) << "2xx" << std::setw(7) << "4xx" << std::setw(7) << "5xx" << std::setw(7) << "err"
    << std::setw(9) << "p50us" << std::setw(9) << "p90us" << std::setw(9) << "p99us" << std::setw(10) << "p99.9us"
    << std::setw(10) << "maxus" << std::setw(10) << "ttfb50" << "\n";
  Histogram all;
  auto row = [&](const std::string& name, const Histogram& h, const std::array<std::uint64_t, 6>& st,
                 const Histogram* ttfb) {
    o << std::left << std::setw(14) << name << std::right << std::setw(9) << h.count() << std::setw(10)
      << std::fixed << std::setprecision(0) << static_cast<double>(h.count()) / r.seconds << std::setw(7) << st[2]
      << std::setw(7) << st[4] << std::setw(7) << st[5] << std::setw(7) << st[0] << std::setw(9) << h.quantile(0.5)
      << std::setw(9) << h.quantile(0.9) << std::setw(9) << h.quantile(0.99) << std::setw(10) << h.quantile(0.999)
      << std::setw(10) << h.max() << std::setw(10) << (ttfb && ttfb->count() ? std::to_string(ttfb->quantile(0.5)) : "-")
      << "\n";
  };
  std::array<std::uint64_t, 6> total{};
  for (const auto& t : r.tenants) {
    row(t.name, t.latency_us, t.status, &t.ttfb_us);
    all.merge(t.latency_us);
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += t.status[i];
  }
  if (r.tenants.size() > 1) row("TOTAL", all, total, nullptr);
  o << "generator cpu: " << std::setprecision(2) << (r.cpu_user_s + r.cpu_sys_s) << " s over "
    << (r.seconds + std::chrono::duration<double>(plan.warmup).count()) << " s ("
    << (plan.mode == RunPlan::Mode::open ? "open" : "closed") << " loop)\n";
  return o.str();
}

}  // namespace corral::load
