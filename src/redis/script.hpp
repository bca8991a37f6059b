// A Lua script that Redis runs atomically (one decision, no read-then-write race between
// instances). It is called by its SHA-1 with EVALSHA; a server that does not know it (restarted or
// flushed: NOSCRIPT) gets it with SCRIPT LOAD, and the call is made again, once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_client.hpp"

namespace corral::redis {

class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }  // 40 lowercase hex digits

 private:
  std::string source_, sha_;
};

// EVALSHA with `keys` and `args` (binary-safe); NOSCRIPT loads the script and calls it once more.
awaitable<Result> run(RedisClient& client, const Script& script, std::vector<std::string_view> keys,
                      std::vector<std::string_view> args, Op op = Op::other);

}  // namespace corral::redis
