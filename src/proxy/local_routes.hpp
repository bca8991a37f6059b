// The routes corral answers itself: GET /healthz, GET /v1/models (the tenant's models) and
// GET /v1/corral/usage (the tenant's limits, what is left, this month's usage and cost).
#pragma once

#include "proxy/stage.hpp"

namespace corral::proxy {

class LocalRoutes final : public Stage {
 public:
  std::string_view name() const override { return "local_routes"; }
  awaitable<Verdict> on_request(Exchange& x) override;
};

}  // namespace corral::proxy
