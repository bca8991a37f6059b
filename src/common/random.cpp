#include "corral/random.hpp"

#include <array>
#include <random>

namespace corral {
namespace {

// xoshiro256** (Blackman and Vigna).
class Xoshiro256 {
 public:
  Xoshiro256() {
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

}  // namespace

std::uint64_t random_u64() noexcept {
  thread_local Xoshiro256 generator;
  return generator.next();
}

}  // namespace corral
