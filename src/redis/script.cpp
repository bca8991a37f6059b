#include "redis/script.hpp"

#include <openssl/sha.h>

namespace corral::redis {

Script::Script(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  sha_.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    sha_ += kHex[b >> 4];
    sha_ += kHex[b & 15];
  }
}

awaitable<Result> run(RedisClient& client, const Script& script, std::vector<std::string_view> keys,
                      std::vector<std::string_view> args, Op op) {
  const auto count = std::to_string(keys.size());
  std::vector<std::string_view> call{"EVALSHA", script.sha(), count};
  call.insert(call.end(), keys.begin(), keys.end());
  call.insert(call.end(), args.begin(), args.end());
  auto r = co_await client.command(call, op);
  if (r.status != Status::server_error || !r.reply.str.starts_with("NOSCRIPT")) co_return r;
  std::vector<std::string_view> load{"SCRIPT", "LOAD", script.source()};
  auto loaded = co_await client.command(std::move(load), op);
  if (!loaded.ok()) co_return loaded;
  co_return co_await client.command(std::move(call), op);
}

}  // namespace corral::redis
