// Running a plan: connections driven by coroutines on one io_context, results per tenant.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "load_plan.hpp"

namespace corral::load {

struct TenantResult {
  std::string name;
  Histogram latency_us;      // request sent (intended, in open loop) → last byte
  Histogram ttfb_us;         // streams: request sent → first body byte
  Histogram queue_us;        // corral's x-corral-queue-ms, where answers carry it
  Histogram ttft_us;         // streams: request sent → first event that carries text
  double chunk_offset_sum_us = 0;  // streams: sum over chunks of (arrival − send)
  std::uint64_t chunks = 0;
  double text_offset_sum_us = 0;   // the same over the events that carry text
  std::uint64_t text_chunks = 0;
  std::array<std::uint64_t, 6> status{};  // 1xx..5xx by class, [0] = transport errors
  std::uint64_t dropped = 0;              // open loop: could not be sent (too far behind)
};

struct RunResult {
  std::vector<TenantResult> tenants;
  double seconds = 0;       // measured window
  double cpu_user_s = 0, cpu_sys_s = 0;
};

RunResult run(const RunPlan& plan);
std::string to_json(const RunPlan& plan, const RunResult& r);
std::string to_table(const RunPlan& plan, const RunResult& r);

}  // namespace corral::load
