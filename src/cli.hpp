// The command line of `corral` (docs/operations.md "Running").
#pragma once

#include <string>
#include <vector>

namespace corral::cli {

struct Options {
  enum class Mode { run, check_config, hash_key, version, help } mode = Mode::run;
  std::string config_path = "/etc/corral/corral.yaml";
  std::string log_level = "info";
};

struct Parsed {
  Options options;
  std::string error;  // non-empty: usage error (exit 2)
};

Parsed parse(const std::vector<std::string>& args);
std::string usage();
std::string version();

}  // namespace corral::cli
