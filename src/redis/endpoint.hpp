// Where a Redis server is and how to log in, from `redis.url`
// (redis://[:password@]host:port[/db] or unix:///path), already validated by the config loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corral::redis {

struct Endpoint {
  std::string host;       // empty for a unix socket
  std::uint16_t port = 6379;
  std::string unix_path;  // set for unix:///path
  std::string password;   // AUTH when not empty
  int db = 0;             // SELECT when not 0
};

std::optional<Endpoint> parse_endpoint(const std::string& url);

}  // namespace corral::redis
