#include "corral/request_id.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace corral {
namespace {

// xoshiro256** (Blackman and Vigna): four words of state, a few instructions an output, and its
// whole state seeded from the system's entropy, so that threads and instances do not repeat each
// other's sequences. (Ids must differ; they are not secrets.)
class IdBits {
 public:
  IdBits() {
    std::random_device entropy;
    for (auto& word : s_) word = std::uint64_t{entropy()} << 32 | entropy();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the one state it cannot leave
  }
  std::uint64_t next() noexcept {
    const std::uint64_t out = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return out;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return x << k | x >> (64 - k); }
  std::array<std::uint64_t, 4> s_{};
};

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
  thread_local IdBits bits;
  char text[4 + 32] = {'r', 'e', 'q', '_'};
  char* p = text + 4;
  for (int half = 0; half < 2; ++half) {
    auto v = bits.next();
    for (int i = 0; i < 8; ++i, v >>= 8, p += 2) std::memcpy(p, &kHexPairs[2 * (v & 0xff)], 2);
  }
  id.assign(text, sizeof text);
}

}  // namespace corral
