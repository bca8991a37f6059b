// SHA-256 helpers: API keys are stored and compared only as digests.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(std::string_view data) noexcept;
std::string to_hex(const Sha256& digest);
// Parses exactly 64 hex digits (either case).
std::optional<Sha256> sha256_from_hex(std::string_view hex) noexcept;

struct Sha256Hash {
  using is_avalanching = void;  // for boost::unordered_flat_map: no further mixing needed
  std::size_t operator()(const Sha256& d) const noexcept {
    std::size_t h;
    static_assert(sizeof h <= sizeof d);
    __builtin_memcpy(&h, d.data(), sizeof h);  // already uniformly distributed
    return h;
  }
};

}  // namespace corral
