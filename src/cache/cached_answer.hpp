// One cached answer: a 200 of the provider as corral relayed it (for a stream, its SSE bytes as
// the provider sent them, usage chunk included), with its content type and when it was stored.
// Serialised for Redis as "corral1\n<stored unix ms>\n<content type>\n<body>".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace corral::cache {

struct CachedAnswer {
  std::int64_t stored_unix_ms = 0;
  std::string content_type;
  std::string body;

  std::size_t bytes() const { return body.size() + content_type.size() + 64; }
  // Whole seconds since it was stored (the `age` header).
  std::int64_t age_seconds(std::chrono::system_clock::time_point now) const;

  std::string serialize() const;
  static std::optional<CachedAnswer> parse(std::string_view bytes);
};
using AnswerPtr = std::shared_ptr<const CachedAnswer>;

std::int64_t unix_ms(std::chrono::system_clock::time_point t);

}  // namespace corral::cache
