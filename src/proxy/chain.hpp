// The request path after the request has been read, as a chain of stages run in order:
//
//   local routes ─▶ validate ─▶ cache ─▶ admission ─▶ forward (attempts: route, provider slot, relay)
//
// until one of them stops (answers, or finds the client gone); then the completion hook of each
// stage that ran, in reverse (forward works out what was used and frees the provider slot,
// admission settles the tenant's lease, cache shares and stores the answer). One Chain per I/O
// thread; the stages keep no per-request state, and their configuration is built once per
// snapshot. To add a stage: a class implementing Stage in its own file, a member here, and its
// place in stages_.
#pragma once

#include <array>
#include <memory>

#include "proxy/admission_stage.hpp"
#include "proxy/cache_stage.hpp"
#include "proxy/forward_stage.hpp"
#include "proxy/local_routes.hpp"
#include "proxy/stage_configs.hpp"
#include "proxy/validate_stage.hpp"

namespace corral::proxy {

class Chain {
 public:
  explicit Chain(Worker& worker);
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // The stages' configuration for `snap`, built the first time it is asked for.
  std::shared_ptr<const StageConfigs> configs(const SnapshotPtr& snap);
  awaitable<void> run(Exchange& x);

 private:
  LocalRoutes local_;
  ValidateStage validate_;
  CacheStage cache_;
  AdmissionStage admission_;
  ForwardStage forward_;
  std::array<Stage*, 5> stages_;
  SnapshotPtr configs_of_;  // the snapshot configs_ was built for
  std::shared_ptr<const StageConfigs> configs_;
};

}  // namespace corral::proxy
