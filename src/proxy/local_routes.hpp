// The routes corral answers itself: GET /healthz, GET /v1/models (the tenant's models) and
// GET /v1/corral/usage (the tenant's limits, what is left, this month's usage and cost — as every
// instance sees them when Redis keeps usage, this instance's own view when Redis cannot be asked).
#pragma once

#include "proxy/stage.hpp"

namespace corral {
struct Worker;
}

namespace corral::proxy {

class LocalRoutes final : public Stage {
 public:
  explicit LocalRoutes(Worker& worker) : worker_(worker) {}
  std::string_view name() const override { return "local_routes"; }
  std::optional<Verdict> at_once(Exchange& x) override;  // all but the usage report
  awaitable<Verdict> on_request(Exchange& x) override;

 private:
  awaitable<nlohmann::json> usage(Exchange& x);
  Worker& worker_;
};

}  // namespace corral::proxy
