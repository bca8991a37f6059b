// One reader per top-level section of the configuration file.
#pragma once

#include "config/yaml_reader.hpp"

namespace corral::config {

void read_server(YamlReader& r, const YAML::Node& n, ServerConfig& out);
void read_admin(YamlReader& r, const YAML::Node& n, AdminConfig& out);
void read_redis(YamlReader& r, const YAML::Node& n, RedisConfig& out);
void read_providers(YamlReader& r, const YAML::Node& n, Config& out);
// Needs providers read first (routes name them).
void read_models(YamlReader& r, const YAML::Node& n, Config& out);
void read_tiers(YamlReader& r, const YAML::Node& n, Config& out);
void read_scheduler(YamlReader& r, const YAML::Node& n, SchedulerConfig& out);
void read_cache(YamlReader& r, const YAML::Node& n, CacheConfig& out);
// A relative path is taken relative to `config_dir` (the configuration file's directory).
void read_state(YamlReader& r, const YAML::Node& n, const std::string& config_dir, StateConfig& out);
void read_retry(YamlReader& r, const YAML::Node& n, const std::string& path, RetryPolicy& out);
void read_breaker(YamlReader& r, const YAML::Node& n, const std::string& path, BreakerConfig& out);
// Needs models and tiers read first.
void read_tenants(YamlReader& r, const YAML::Node& n, Config& out);

// base_url → origin; nullopt with an error recorded when it is not http(s)://host[:port][/path].
std::optional<UpstreamOrigin> parse_base_url(std::string_view url, std::string& why);

}  // namespace corral::config
