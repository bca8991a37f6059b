#include "corral/request_id.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "corral/random.hpp"

namespace corral {
namespace {

// The two hex digits of each byte value, side by side.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (int b = 0; b < 256; ++b) {
    t[2 * b] = kHex[b >> 4];
    t[2 * b + 1] = kHex[b & 0xf];
  }
  return t;
}();

}  // namespace

bool valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

void generate_request_id(std::string& id) {
  char text[4 + 32] = {'r', 'e', 'q', '_'};
  char* p = text + 4;
  for (int half = 0; half < 2; ++half) {
    auto v = random_u64();
    for (int i = 0; i < 8; ++i, v >>= 8, p += 2) std::memcpy(p, &kHexPairs[2 * (v & 0xff)], 2);
  }
  id.assign(text, sizeof text);
}

}  // namespace corral
