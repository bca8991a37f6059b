#include "config/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>

namespace corral::config {
namespace {

const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

std::string show(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

}  // namespace

void YamlReader::error(const YAML::Mark& at, std::string message) {
  ConfigError e;
  e.path = path_;
  e.line = at.line >= 0 ? at.line + 1 : 1;
  e.column = at.column >= 0 ? at.column + 1 : 1;
  e.message = std::move(message);
  errors_.push_back(std::move(e));
}

void YamlReader::error(const YAML::Node& at, std::string message) {
  error(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), std::move(message));
}

std::vector<ConfigError> YamlReader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(errors_);
}

void YamlReader::fields(const YAML::Node& map, const std::string& path,
                        std::initializer_list<Field> known) {
  if (!map.IsMap()) {
    error(map, path + ": expected a mapping, got " + kind_name(map));
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    const std::string key_path = path.empty() ? key : path + "." + key;
    if (!seen.insert(key).second) {
      error(it->first, key_path + ": duplicate key");
      continue;
    }
    auto f = std::find_if(known.begin(), known.end(), [&](const Field& k) { return k.key == key; });
    if (f == known.end()) {
      std::string expected;
      for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + std::string(k.key);
      error(it->first, "unknown key " + show(key) + (path.empty() ? "" : " in " + path) +
                           " (expected one of: " + expected + ")");
      continue;
    }
    f->handler(it->second, key_path);
  }
}

void YamlReader::entries(
    const YAML::Node& map, const std::string& path,
    const std::function<void(const std::string&, const YAML::Node&, const YAML::Node&,
                             const std::string&)>& each) {
  if (map.IsNull()) return;  // "tenants:" with nothing under it
  if (!map.IsMap()) {
    error(map, path + ": expected a mapping, got " + kind_name(map));
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, path + ": keys must be names");
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      error(it->first, path + "." + key + ": duplicate key");
      continue;
    }
    each(key, it->first, it->second, path + "." + key);
  }
}

void YamlReader::items(const YAML::Node& seq, const std::string& path,
                       const std::function<void(const YAML::Node&, const std::string&)>& each) {
  if (!seq.IsSequence()) {
    error(seq, path + ": expected a list, got " + kind_name(seq));
    return;
  }
  for (std::size_t i = 0; i < seq.size(); ++i)
    each(seq[i], path + "[" + std::to_string(i) + "]");
}

std::optional<std::string> YamlReader::scalar(const YAML::Node& n, const std::string& path,
                                              std::string_view expected) {
  if (!n.IsScalar()) {
    error(n, path + ": expected " + std::string(expected) + ", got " + kind_name(n));
    return std::nullopt;
  }
  const std::string& raw = n.Scalar();
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    if (raw.compare(i, 2, "${") != 0) {
      out.push_back(raw[i++]);
      continue;
    }
    const auto close = raw.find('}', i + 2);
    const std::string name = close == std::string::npos ? "" : raw.substr(i + 2, close - i - 2);
    const bool valid_name =
        !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
        std::all_of(name.begin(), name.end(),
                    [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!valid_name) {
      error(n, path + ": malformed ${NAME} reference in " + show(raw));
      return std::nullopt;
    }
    auto value = env_(name);
    if (!value) {
      error(n, path + ": environment variable " + name + " is not set");
      return std::nullopt;
    }
    out += *value;
    i = close + 1;
  }
  return out;
}

std::optional<std::string> YamlReader::string(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "a string");
  if (s && std::any_of(s->begin(), s->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    error(n, path + ": control characters are not allowed");
    return std::nullopt;
  }
  return s;
}

std::optional<std::uint64_t> YamlReader::uint(const YAML::Node& n, const std::string& path,
                                              std::uint64_t min, std::uint64_t max) {
  auto s = scalar(n, path, "a whole number");
  if (!s) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || end != s->data() + s->size()) {
    error(n, path + ": expected a whole number, got " + show(*s));
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, path + ": " + std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                 (max == UINT64_MAX ? std::string("...") : std::to_string(max)) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<double> YamlReader::number(const YAML::Node& n, const std::string& path, double min,
                                         double max) {
  auto s = scalar(n, path, "a number");
  if (!s) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || end != s->data() + s->size() || !std::isfinite(v)) {
    error(n, path + ": expected a number, got " + show(*s));
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, path + ": " + *s + " is out of range [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "true or false");
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error(n, path + ": expected true or false, got " + show(*s));
  return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& n, const std::string& path,
                                             bool allow_zero) {
  auto s = scalar(n, path, "a duration");
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    error(n, path + ": expected a duration with a unit (250ms, 10s, 5m, 1h), got " + show(*s));
    return std::nullopt;
  }
  if (!allow_zero && d->count() == 0) {
    error(n, path + ": must be greater than zero");
    return std::nullopt;
  }
  return d;
}

std::optional<std::uint64_t> YamlReader::size(const YAML::Node& n, const std::string& path,
                                              std::uint64_t min) {
  auto s = scalar(n, path, "a size");
  if (!s) return std::nullopt;
  auto v = parse_size(*s);
  if (!v) {
    error(n, path + ": expected a size in bytes or with a unit (B, KiB, MiB, GiB), got " +
                 show(*s));
    return std::nullopt;
  }
  if (*v < min) {
    error(n, path + ": must be at least " + std::to_string(min) + " bytes");
    return std::nullopt;
  }
  return v;
}

std::optional<Cidr> YamlReader::cidr(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "an address range");
  if (!s) return std::nullopt;
  auto c = Cidr::parse(*s);
  if (!c) {
    error(n, path + ": expected an address or CIDR range with zero host bits (10.0.0.0/8, ::1/128), got " +
                 show(*s));
  }
  return c;
}

std::optional<std::vector<Cidr>> YamlReader::cidrs(const YAML::Node& n, const std::string& path) {
  std::vector<Cidr> out;
  bool ok = true;
  items(n, path, [&](const YAML::Node& item, const std::string& p) {
    auto c = cidr(item, p);
    if (c) out.push_back(*c);
    ok = ok && c.has_value();
  });
  if (!ok || !n.IsSequence()) return std::nullopt;
  return out;
}

std::optional<HostPort> YamlReader::host_port(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "HOST:PORT");
  if (!s) return std::nullopt;
  HostPort hp;
  std::string_view port;
  if (s->starts_with("[")) {
    auto close = s->find("]:");
    if (close == std::string::npos) {
      error(n, path + ": expected [IPv6]:PORT, got " + show(*s));
      return std::nullopt;
    }
    hp.host = s->substr(1, close - 1);
    port = std::string_view(*s).substr(close + 2);
  } else {
    auto colon = s->rfind(':');
    if (colon == std::string::npos || s->find(':') != colon) {
      error(n, path + ": expected HOST:PORT (IPv6 as [::1]:PORT), got " + show(*s));
      return std::nullopt;
    }
    hp.host = s->substr(0, colon);
    port = std::string_view(*s).substr(colon + 1);
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(hp.host, ec);
  if (ec || (s->starts_with("[") != addr.is_v6())) {
    error(n, path + ": " + show(hp.host) + " is not an IP address");
    return std::nullopt;
  }
  unsigned p = 0;
  auto [end, perr] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || perr != std::errc() || end != port.data() + port.size() || p > 65535) {
    error(n, path + ": port must be a number from 0 to 65535");
    return std::nullopt;
  }
  hp.port = static_cast<std::uint16_t>(p);
  return hp;
}

std::optional<Sha256> YamlReader::sha256_ref(const YAML::Node& n, const std::string& path) {
  auto s = scalar(n, path, "\"sha256:<64 hex digits>\"");
  if (!s) return std::nullopt;
  if (!s->starts_with("sha256:")) {
    error(n, path + ": plain secrets are not accepted; store \"sha256:<hex>\" (see `corral hash-key`)");
    return std::nullopt;
  }
  auto d = sha256_from_hex(std::string_view(*s).substr(7));
  if (!d) error(n, path + ": expected \"sha256:\" followed by 64 hex digits");
  return d;
}

std::optional<std::string> YamlReader::readable_file(const YAML::Node& n, const std::string& path) {
  auto s = string(n, path);
  if (!s) return std::nullopt;
  std::ifstream f(*s);
  if (!f) {
    error(n, path + ": cannot read file " + show(*s));
    return std::nullopt;
  }
  return s;
}

}  // namespace corral::config
