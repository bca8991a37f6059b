#include "corral/request_id.hpp"

#include <random>

namespace corral {

bool valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

void generate_request_id(std::string& id) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  char text[4 + 32] = {'r', 'e', 'q', '_'};
  for (int half = 0; half < 2; ++half) {
    auto v = rng();
    for (int i = 0; i < 16; ++i, v >>= 4) text[4 + half * 16 + i] = kHex[v & 0xf];
  }
  id.assign(text, sizeof text);
}

}  // namespace corral
