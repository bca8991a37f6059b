// What observability costs: recording one request into an I/O thread's metrics, formatting its
// access-log line, and a whole scrape (merge of the threads' copies + exposition) with 1,000
// tenants. Run: build-release/corral-observability-bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "observability/access_log.hpp"
#include "observability/exposition.hpp"

using namespace corral::observability;

namespace {

std::vector<std::string> tenant_names(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("tenant_" + std::to_string(i));
  return v;
}

RequestRecord record(std::string_view tenant, const char* model, unsigned status) {
  RequestRecord r;
  r.tenant = tenant;
  r.model = model;
  r.model_known = true;
  r.provider = "openai";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.request_id = "req_5cfadaaeee62d5a40441cde4476dec94";
  r.status = status;
  r.total_s = 0.0123;
  r.upstream_called = true;
  r.upstream_s = 0.0118;
  r.queued = true;
  r.queue_s = 0.0001;
  r.prompt_tokens = 120;
  r.completion_tokens = 48;
  r.cost_usd = 0.000624;
  r.cache = CacheResult::miss;
  return r;
}

// One thread's stats after traffic from `tenants` tenants on two models.
WorkerStats busy_worker(const std::vector<std::string>& tenants) {
  WorkerStats s;
  for (const auto& t : tenants) {
    s.record(record(t, "gpt-4.1", 200));
    s.record(record(t, "gpt-4.1-mini", 200));
    s.record(record(t, "gpt-4.1", 429));
  }
  return s;
}

void BM_RecordRequest(benchmark::State& state) {
  const auto tenants = tenant_names(1000);
  WorkerStats s = busy_worker(tenants);  // every label set seen: the steady state
  std::size_t i = 0;
  for (auto _ : state) {
    s.record(record(tenants[i++ % tenants.size()], "gpt-4.1", 200));
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_RecordRequest);

void BM_FormatAccessLine(benchmark::State& state) {
  const auto r = record("tenant_1", "gpt-4.1", 200);
  for (auto _ : state) benchmark::DoNotOptimize(AccessLog::format(r, "203.0.113.7"));
}
BENCHMARK(BM_FormatAccessLine);

// An I/O thread's whole cost of one access-log line: formatting it into the thread's buffer and
// handing full batches (LogBuffer::kBatchLines lines) to the writer thread, which writes them to
// /dev/null (what the I/O thread pays; the writer's own work is not timed). `dropped`: lines the
// writer could not keep up with.
void BM_AccessLogWrite(benchmark::State& state) {
  static AccessLog::Pool pool;
  static std::shared_ptr<AccessLog> log;
  if (state.thread_index() == 0) {
    pool = AccessLog::make_pool();
    std::string error;
    log = AccessLog::open("/dev/null", pool, error);
  }
  const auto r = record("tenant_1", "gpt-4.1", 200);
  {
    LogBuffer buffer;
    for (auto _ : state) log->write(buffer, r, "203.0.113.7");
  }
  if (state.thread_index() == 0) {
    pool->sync();
    state.counters["dropped"] = static_cast<double>(AccessLog::dropped(pool));
  }
}
BENCHMARK(BM_AccessLogWrite)->Threads(1)->Threads(2)->UseRealTime();

// The admin thread's part of a scrape with 1,000 tenants and two I/O threads: merge + render.
void BM_Scrape1000Tenants(benchmark::State& state) {
  const auto tenants = tenant_names(1000);
  const std::vector<WorkerStats> workers = {busy_worker(tenants), busy_worker(tenants)};
  std::size_t bytes = 0;
  for (auto _ : state) {
    Scrape s;
    for (const auto& w : workers) s.stats.merge(w);
    s.providers.push_back({"openai", 3, 10, 20, 30});
    for (const auto& t : tenants) s.cache.push_back({t, 1, 2, 3, 0});
    s.version = "0.1.0";
    const auto text = render(s);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Scrape1000Tenants)->Unit(benchmark::kMillisecond);

// An I/O thread's part of a scrape: copying its stats (the pause its requests see).
void BM_CopyWorkerStats1000Tenants(benchmark::State& state) {
  const auto w = busy_worker(tenant_names(1000));
  for (auto _ : state) {
    WorkerStats copy = w;
    benchmark::DoNotOptimize(&copy);
  }
}
BENCHMARK(BM_CopyWorkerStats1000Tenants)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
