// Cost of the admission check on the request path: every limit set, 1,000 tenants, several
// threads. Each thread picks tenants at random, so threads meet on the same tenant only as
// often as real traffic would; there is no global lock to serialise on.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "limits/tenant_limiter.hpp"

namespace {

using namespace corral;

std::vector<std::shared_ptr<limits::TenantLimiter>>& tenants() {
  static auto all = [] {
    std::vector<std::shared_ptr<limits::TenantLimiter>> v;
    RateLimits l;
    l.requests_per_minute = 1'000'000'000;  // never reached: the benchmark measures the check
    l.tokens_per_minute = 1'000'000'000'000;
    l.concurrent_requests = 1'000'000;
    l.burst_allowance = 1.5;
    for (int i = 0; i < 1000; ++i) {
      v.push_back(std::make_shared<limits::TenantLimiter>());
      v.back()->configure(l, 1e12, std::chrono::steady_clock::now());
    }
    return v;
  }();
  return all;
}

// admit + finish with a usage correction: what one request costs the limiter.
void BM_AdmitAndSettle(benchmark::State& state) {
  auto& all = tenants();
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()) + 1);
  const int day = limits::utc_day(std::chrono::system_clock::now());
  const int month = limits::month_of_day(day);
  const limits::TenantLimiter::Ask ask{600, 0.004};
  const limits::Usage used{200, 150, 0};
  for (auto _ : state) {
    auto& t = *all[rng() % all.size()];
    const auto now = std::chrono::steady_clock::now();
    auto d = t.admit(ask, now, month);
    benchmark::DoNotOptimize(d);
    t.finish(ask, "gpt-4.1", used, 0.0015, true, false, now, day);
  }
}
BENCHMARK(BM_AdmitAndSettle)->ThreadRange(1, 4)->UseRealTime();

// admit alone on one hot tenant from every thread: the worst case for contention.
void BM_AdmitHotTenant(benchmark::State& state) {
  auto& t = *tenants()[0];
  const int month = limits::month_of_day(limits::utc_day(std::chrono::system_clock::now()));
  const limits::TenantLimiter::Ask ask{600, 0.0};
  for (auto _ : state) {
    auto d = t.admit(ask, std::chrono::steady_clock::now(), month);
    benchmark::DoNotOptimize(d);
    t.finish(ask, "m", limits::Usage{}, 0, false, false, std::chrono::steady_clock::now(), 0);
  }
}
BENCHMARK(BM_AdmitHotTenant)->ThreadRange(1, 4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
