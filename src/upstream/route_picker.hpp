// Choosing one of a model's routes, in proportion to the routes' weights.
#pragma once

#include <cstdint>

#include "corral/config.hpp"

namespace corral::upstream {

// `random` is any uniformly distributed 64-bit value; the same value always picks the same route.
const RouteConfig& pick_route(const ModelConfig& model, std::uint64_t random) noexcept;

// A per-thread generator for pick_route.
std::uint64_t random_u64() noexcept;

}  // namespace corral::upstream
