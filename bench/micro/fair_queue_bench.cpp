// Cost of the scheduler's enqueue + dispatch with 1,000 backlogged tenants in one class (the
// linear choice of the smallest counter is the part that grows with tenants).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "scheduler/fair_queue.hpp"

namespace {

using namespace corral;

void BM_EnqueueDispatch(benchmark::State& state) {
  const auto tenants = static_cast<std::size_t>(state.range(0));
  scheduler::QueueBounds b;
  b.max_queue = 1'000'000;
  b.max_queue_per_tenant = 1'000'000;
  scheduler::FairQueue q(1, b);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < tenants; ++i) names.push_back("tenant-" + std::to_string(i));
  std::uint64_t id = 1;
  scheduler::Ticket current{id++, names[0], Priority::normal, 1.0, 500, {}};
  q.submit(current);  // holds the one slot
  for (std::size_t i = 0; i < tenants; ++i)  // every tenant backlogged
    for (int k = 0; k < 4; ++k) q.submit({id++, names[i], Priority::normal, 1.0 + static_cast<double>(i % 4), 500, {}});
  std::size_t i = 0;
  for (auto _ : state) {
    // One request arrives, the one in flight completes, the next is chosen.
    q.submit({id++, names[i++ % tenants], Priority::normal, 1.0, 500, {}});
    q.complete(current, 400, {});
    auto next = q.next({});
    benchmark::DoNotOptimize(next);
    current = *next;
  }
}
BENCHMARK(BM_EnqueueDispatch)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
