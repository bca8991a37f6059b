// IPv4/IPv6 address ranges ("10.0.0.0/8", "::1/128", a bare address = a single host).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace corral {

class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text) noexcept;

  // IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges and vice versa.
  bool contains(const boost::asio::ip::address& addr) const noexcept;
  std::string to_string() const;

 private:
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 stored as IPv4-mapped IPv6
  unsigned prefix_ = 0;                   // in IPv6 bits (IPv4 prefix + 96)
  bool v4_ = false;
};

bool any_contains(const std::vector<Cidr>& ranges, const boost::asio::ip::address& addr) noexcept;

}  // namespace corral
