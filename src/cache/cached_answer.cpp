#include "cache/cached_answer.hpp"

#include <algorithm>
#include <charconv>

namespace corral::cache {

namespace {
constexpr std::string_view kMagic = "corral1\n";
}

std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::int64_t CachedAnswer::age_seconds(std::chrono::system_clock::time_point now) const {
  return std::max<std::int64_t>(0, (unix_ms(now) - stored_unix_ms) / 1000);
}

std::string CachedAnswer::serialize() const {
  std::string out;
  out.reserve(kMagic.size() + 24 + content_type.size() + body.size());
  out.append(kMagic).append(std::to_string(stored_unix_ms)).append("\n").append(content_type).append("\n");
  out.append(body);
  return out;
}

std::optional<CachedAnswer> CachedAnswer::parse(std::string_view bytes) {
  if (bytes.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  bytes.remove_prefix(kMagic.size());
  const auto nl1 = bytes.find('\n');
  if (nl1 == std::string_view::npos) return std::nullopt;
  CachedAnswer a;
  auto [p, ec] = std::from_chars(bytes.data(), bytes.data() + nl1, a.stored_unix_ms);
  if (ec != std::errc() || p != bytes.data() + nl1) return std::nullopt;
  bytes.remove_prefix(nl1 + 1);
  const auto nl2 = bytes.find('\n');
  if (nl2 == std::string_view::npos) return std::nullopt;
  a.content_type = std::string(bytes.substr(0, nl2));
  a.body = std::string(bytes.substr(nl2 + 1));
  return a;
}

}  // namespace corral::cache
