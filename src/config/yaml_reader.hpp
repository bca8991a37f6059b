// Typed, strict reading of yaml-cpp nodes with errors collected at their file positions.
// Each reader returns nullopt after recording an error, so callers keep going and report all.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corral/config.hpp"
#include "corral/config_loader.hpp"

namespace corral::config {

class YamlReader {
 public:
  YamlReader(std::string path, const EnvLookup& env) : path_(std::move(path)), env_(env) {}

  using Handler = std::function<void(const YAML::Node& value, const std::string& path)>;
  struct Field {
    std::string_view key;
    Handler handler;
  };

  // Walks a mapping: unknown and duplicate keys are errors; each known key's handler runs.
  void fields(const YAML::Node& map, const std::string& path, std::initializer_list<Field> known);
  // Walks a mapping with free keys (names of providers, models, tenants...).
  void entries(const YAML::Node& map, const std::string& path,
               const std::function<void(const std::string& key, const YAML::Node& key_node,
                                        const YAML::Node& value, const std::string& path)>& each);
  // Walks a sequence.
  void items(const YAML::Node& seq, const std::string& path,
             const std::function<void(const YAML::Node& item, const std::string& path)>& each);

  std::optional<std::string> string(const YAML::Node& n, const std::string& path);
  std::optional<std::uint64_t> uint(const YAML::Node& n, const std::string& path,
                                    std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);
  std::optional<double> number(const YAML::Node& n, const std::string& path, double min,
                               double max);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& path);
  std::optional<Duration> duration(const YAML::Node& n, const std::string& path,
                                   bool allow_zero = false);
  std::optional<std::uint64_t> size(const YAML::Node& n, const std::string& path,
                                    std::uint64_t min = 1);
  std::optional<Cidr> cidr(const YAML::Node& n, const std::string& path);
  std::optional<std::vector<Cidr>> cidrs(const YAML::Node& n, const std::string& path);
  std::optional<HostPort> host_port(const YAML::Node& n, const std::string& path);
  std::optional<Sha256> sha256_ref(const YAML::Node& n, const std::string& path);
  std::optional<std::string> readable_file(const YAML::Node& n, const std::string& path);

  void error(const YAML::Node& at, std::string message);
  void error(const YAML::Mark& at, std::string message);
  const std::string& file() const { return path_; }
  std::vector<ConfigError> take_errors();

 private:
  // The scalar's text with ${NAME} replaced; errors on maps, sequences and nulls.
  std::optional<std::string> scalar(const YAML::Node& n, const std::string& path,
                                    std::string_view expected);

  std::string path_;
  const EnvLookup& env_;
  std::vector<ConfigError> errors_;
};

// Sets `out` when `v` holds a value.
template <class T, class U>
void assign(T& out, std::optional<U>&& v) {
  if (v) out = std::move(*v);
}

}  // namespace corral::config
