#include "corral/config_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/sections.hpp"

namespace corral {

std::string ConfigError::to_string() const {
  return path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

bool TenantConfig::may_use_model(std::string_view model) const {
  return all_models || std::find(models.begin(), models.end(), model) != models.end();
}

bool TenantConfig::may_act_for(std::string_view tenant) const {
  return acts_for_any || std::find(acts_for.begin(), acts_for.end(), tenant) != acts_for.end();
}

const TenantConfig* Config::find_tenant(std::string_view id) const {
  auto it = tenant_index.find(id);
  return it == tenant_index.end() ? nullptr : &tenants[it->second];
}

const ModelConfig* Config::find_model(std::string_view name) const {
  auto it = model_index.find(name);
  return it == model_index.end() ? nullptr : &models[it->second];
}

namespace {

std::vector<TierConfig> default_tiers() {
  return {{"enterprise", Priority::critical, 8},
          {"premium", Priority::high, 4},
          {"standard", Priority::normal, 2},
          {"free", Priority::low, 1}};
}

ConfigLoadResult build(const YAML::Node& root, const std::string& path, const EnvLookup& env) {
  config::YamlReader r(path, env);
  auto cfg = std::make_shared<Config>();
  cfg->path = path;

  if (!root.IsMap()) {
    r.error(root, "the configuration must be a mapping of sections (server, providers, ...)");
    return {nullptr, r.take_errors()};
  }
  // Sections are read in dependency order, whatever their order in the file.
  std::optional<YAML::Node> server, admin, redis, providers, models, tiers, scheduler, tenants, cache, retry, state;
  auto keep = [](std::optional<YAML::Node>& into) {
    return [&into](const YAML::Node& v, const std::string&) { into = v; };
  };
  r.fields(root, "",
           {{"server", keep(server)}, {"admin", keep(admin)}, {"redis", keep(redis)}, {"providers", keep(providers)},
            {"models", keep(models)}, {"tiers", keep(tiers)}, {"scheduler", keep(scheduler)},
            {"tenants", keep(tenants)}, {"cache", keep(cache)}, {"retry", keep(retry)}, {"state", keep(state)}});

  config::read_server(r, server ? *server : YAML::Node(YAML::NodeType::Map), cfg->server);
  if (admin) config::read_admin(r, *admin, cfg->admin);
  if (redis) {
    RedisConfig rc;
    config::read_redis(r, *redis, rc);
    cfg->redis = rc;
  }
  if (retry) config::read_retry(r, *retry, "retry", cfg->retry);
  if (providers) config::read_providers(r, *providers, *cfg);
  if (cfg->providers.empty() && (!providers || providers->IsNull()))
    r.error(providers ? *providers : root, "providers: at least one provider is required");
  if (models) config::read_models(r, *models, *cfg);
  if (cfg->models.empty() && (!models || models->IsNull()))
    r.error(models ? *models : root, "models: at least one model is required");
  if (tiers) config::read_tiers(r, *tiers, *cfg);
  else cfg->tiers = default_tiers();
  if (scheduler) config::read_scheduler(r, *scheduler, cfg->scheduler);
  if (tenants) config::read_tenants(r, *tenants, *cfg);
  if (cache) config::read_cache(r, *cache, cfg->cache);
  if (state) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    config::read_state(r, *state, dir.empty() ? std::string() : std::filesystem::absolute(dir, ec).string(), cfg->state);
  }

  auto errors = r.take_errors();
  if (!errors.empty()) return {nullptr, std::move(errors)};
  return {std::move(cfg), {}};
}

}  // namespace

ConfigLoadResult load_config_text(std::string_view yaml, const std::string& path,
                                  const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    ConfigError err{path, e.mark.line >= 0 ? e.mark.line + 1 : 1,
                    e.mark.column >= 0 ? e.mark.column + 1 : 1, "YAML syntax: " + e.msg};
    return {nullptr, {err}};
  }
  try {
    return build(root, path, env);
  } catch (const YAML::Exception& e) {  // defensive: yaml-cpp throws on odd node shapes
    ConfigError err{path, e.mark.line >= 0 ? e.mark.line + 1 : 1,
                    e.mark.column >= 0 ? e.mark.column + 1 : 1, e.msg};
    return {nullptr, {err}};
  }
}

ConfigLoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {nullptr, {ConfigError{path, 1, 1, "cannot open the configuration file"}}};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return {nullptr, {ConfigError{path, 1, 1, "cannot read the configuration file"}}};
  return load_config_text(text.str(), path, env);
}

}  // namespace corral
