// The request metrics of one I/O thread: written only by that thread (no lock, no atomic), read
// by a scrape as a copy taken on the same thread (admin/collect) and merged with the other
// threads'. Labels are bounded: tenants and models are configured names ("" for a request
// without one), statuses are HTTP codes. A label set allocates the first time it is seen only.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "corral/flat_map.hpp"
#include "observability/histogram.hpp"
#include "observability/request_record.hpp"

namespace corral::observability {

struct ModelStats {
  std::string model;
  std::uint64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  double cost_usd = 0;
  std::vector<std::pair<unsigned, std::uint64_t>> requests_by_status;  // few: searched in order
};

struct TenantStats {
  Histogram duration;  // client-observed (first byte for streams)
  std::array<std::uint64_t, static_cast<std::size_t>(LimitKind::count_)> rate_limited{};
  std::vector<ModelStats> models;  // few per tenant: searched in order

  ModelStats& model(std::string_view name);
};

struct ProviderStats {
  Histogram upstream, queue_wait;
};

struct WorkerStats {
  StringMap<TenantStats> tenants;
  StringMap<ProviderStats> providers;
  Histogram overhead;

  void record(const RequestRecord& r);
  void merge(const WorkerStats& o);
};

}  // namespace corral::observability
