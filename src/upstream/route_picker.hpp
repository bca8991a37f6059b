// Choosing the route of the next attempt (docs/resilience.md "Routes: priority and weight"), plain
// logic: the candidates are the routes of the requested model and then of its fallback models, each
// in a group ordered by model and then by priority.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "corral/config.hpp"

namespace corral::upstream {

struct RouteCandidate {
  const RouteConfig* route = nullptr;
  std::int64_t group = 0;     // lower goes first: the model's place, then the route's priority
  bool skipped = false;       // not for this request (the provider asked for a longer wait)
  bool tried = false;         // already failed for this request
  bool open = false;          // its circuit breaker refuses attempts now
  SteadyTime reopens_at{};    // when it does not any more (open)
  bool capacity_now = true;   // its provider can take a request without queueing
};

// The candidate to try next, or nothing when every one is skipped:
//  1. of the routes neither tried nor open, those of the lowest group, by weight, preferring the
//     ones whose provider has capacity now (several accounts act as one pool);
//  2. else a route tried already (the same route again), of the lowest group, by weight;
//  3. else, when `may_force_open` (at most once per request), the open route not tried yet that
//     re-opens first: every route is open, and one is tried anyway so that a recovering provider
//     is noticed; when that fails too, nothing is left.
// `random` is any uniformly distributed value; the same value gives the same choice.
std::optional<std::size_t> choose_route(const std::vector<RouteCandidate>& candidates, std::uint64_t random,
                                        bool may_force_open = true);

}  // namespace corral::upstream
