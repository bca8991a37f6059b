#include "upstream/route_picker.hpp"

#include <random>

namespace corral::upstream {

const RouteConfig& pick_route(const ModelConfig& model, std::uint64_t random) noexcept {
  std::uint64_t total = 0;
  for (const auto& r : model.routes) total += r.weight;
  if (model.routes.size() == 1 || total == 0) return model.routes.front();
  std::uint64_t point = random % total;
  for (const auto& r : model.routes) {
    if (point < r.weight) return r;
    point -= r.weight;
  }
  return model.routes.back();
}

std::uint64_t random_u64() noexcept {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace corral::upstream
