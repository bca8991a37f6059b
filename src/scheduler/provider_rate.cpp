#include "scheduler/provider_rate.hpp"

#include <algorithm>

namespace corral::scheduler {

void ProviderRate::configure(double requests_per_minute, double tokens_per_minute, SteadyTime now) {
  requests_.configure_capacity(requests_per_minute, requests_per_minute * kWindowMinutes, now);
  tokens_.configure_capacity(tokens_per_minute, tokens_per_minute * kWindowMinutes, now);
}

Duration ProviderRate::wait(double tokens, SteadyTime now) {
  Duration w{};
  if (requests_.limited()) w = std::max(w, requests_.time_until(1, now));
  if (tokens_.limited()) w = std::max(w, tokens_.time_until(tokens, now));
  return w;
}

void ProviderRate::take(double tokens, SteadyTime now) {
  if (requests_.limited()) requests_.adjust(-1, now);
  if (tokens_.limited()) tokens_.adjust(-tokens, now);
}

void ProviderRate::correct(double estimated, double actual, SteadyTime now) {
  if (tokens_.limited()) tokens_.adjust(estimated - actual, now);
}

}  // namespace corral::scheduler
