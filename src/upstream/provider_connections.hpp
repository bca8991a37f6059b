// The connections of one provider account, counted across every pool and I/O thread (for
// pool.max_connections and the corral_upstream_connections metrics). Kept across reloads.
#pragma once

#include <atomic>
#include <cstdint>

namespace corral::upstream {

struct ProviderConnections {
  std::atomic<std::uint64_t> open{0};            // all pools, all threads
  std::atomic<std::uint64_t> connects_total{0};  // opened since start
};

}  // namespace corral::upstream
