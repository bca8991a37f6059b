#include "upstream/route_picker.hpp"

#include <limits>

namespace corral::upstream {
namespace {

// By weight among the candidates `in` selects (of the lowest group among them).
template <class Pred>
std::optional<std::size_t> weighted(const std::vector<RouteCandidate>& c, std::uint64_t random, Pred in) {
  std::int64_t group = std::numeric_limits<std::int64_t>::max();
  for (const auto& x : c)
    if (in(x)) group = std::min(group, x.group);
  std::uint64_t total = 0;
  for (const auto& x : c)
    if (in(x) && x.group == group) total += x.route->weight;
  if (total == 0) return std::nullopt;
  std::uint64_t point = random % total;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (!in(c[i]) || c[i].group != group) continue;
    if (point < c[i].route->weight) return i;
    point -= c[i].route->weight;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> choose_route(const std::vector<RouteCandidate>& c, std::uint64_t random, bool may_force_open) {
  auto fresh = [](const RouteCandidate& x) { return !x.skipped && !x.tried && !x.open; };
  std::int64_t group = std::numeric_limits<std::int64_t>::max();
  for (const auto& x : c)
    if (fresh(x)) group = std::min(group, x.group);
  bool any_capacity = false;
  for (const auto& x : c) any_capacity = any_capacity || (fresh(x) && x.group == group && x.capacity_now);
  if (auto i = weighted(c, random, [&](const RouteCandidate& x) {
        return fresh(x) && x.group == group && (x.capacity_now || !any_capacity);
      }))
    return i;
  if (auto i = weighted(c, random, [](const RouteCandidate& x) { return !x.skipped && !x.open; })) return i;
  if (!may_force_open) return std::nullopt;
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (!c[i].skipped && !c[i].tried && (!first || c[i].reopens_at < c[*first].reopens_at)) first = i;
  return first;
}

}  // namespace corral::upstream
