// What the stages need from one configuration snapshot, computed once for it (not per request).
#pragma once

#include <string>
#include <vector>

#include "corral/config.hpp"

namespace corral::proxy {

struct StageConfigs {
  explicit StageConfigs(const Config& cfg);

  std::string cache_key_prefix;       // redis.key_prefix, or "corral" without Redis
  bool cache_fail_closed = false;     // redis.on_failure: closed
  std::vector<std::string> models;    // GET /v1/models of each tenant (by TenantConfig::index)
};

}  // namespace corral::proxy
