// Loading and validating the YAML configuration (docs/configuration.md). Every problem found is
// reported, each with the file position of the offending key or value; nothing is defaulted
// silently. Used at start-up, by --check-config and by reloads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/config.hpp"

namespace corral {

struct ConfigError {
  std::string path;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "PATH:LINE:COLUMN: message"
};

struct ConfigLoadResult {
  ConfigPtr config;                 // set when errors is empty
  std::vector<ConfigError> errors;  // in file order
};

// Looks up ${NAME} substitutions; the default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> process_env(const std::string& name);

ConfigLoadResult load_config_file(const std::string& path, const EnvLookup& env = process_env);
ConfigLoadResult load_config_text(std::string_view yaml, const std::string& path,
                                  const EnvLookup& env = process_env);

}  // namespace corral
