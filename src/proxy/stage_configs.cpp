#include "proxy/stage_configs.hpp"

#include <nlohmann/json.hpp>

namespace corral::proxy {

StageConfigs::StageConfigs(const Config& cfg)
    : cache_key_prefix(cfg.redis ? cfg.redis->key_prefix : std::string("corral")),
      cache_fail_closed(cfg.redis && cfg.redis->on_failure == RedisConfig::OnFailure::closed) {
  models.reserve(cfg.tenants.size());
  for (const auto& tenant : cfg.tenants) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& m : cfg.models) {
      if (!tenant.may_use_model(m.name)) continue;
      data.push_back({{"id", m.name}, {"object", "model"}, {"created", 0}, {"owned_by", "corral"}});
    }
    models.push_back(nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
  }
}

}  // namespace corral::proxy
