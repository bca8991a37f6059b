#include "redis/endpoint.hpp"

#include <charconv>

#include <boost/url/parse.hpp>

namespace corral::redis {

std::optional<Endpoint> parse_endpoint(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return std::nullopt;
  Endpoint e;
  if (u->scheme() == "unix") {
    e.unix_path = std::string(u->path());
    if (e.unix_path.empty()) return std::nullopt;
    return e;
  }
  if (u->scheme() != "redis" || u->encoded_host().empty()) return std::nullopt;
  e.host = std::string(u->host_address());
  if (u->has_port()) e.port = u->port_number();
  if (u->has_password()) e.password = std::string(u->password());
  auto path = std::string(u->path());
  if (!path.empty() && path != "/") {
    auto digits = std::string_view(path).substr(1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), e.db);
    if (ec != std::errc() || p != digits.data() + digits.size() || e.db < 0) return std::nullopt;
  }
  return e;
}

}  // namespace corral::redis
