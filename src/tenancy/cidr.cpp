#include "corral/cidr.hpp"

#include <charconv>

namespace corral {
namespace {

std::array<std::uint8_t, 16> mapped_bytes(const boost::asio::ip::address& a) noexcept {
  if (a.is_v6()) return a.to_v6().to_bytes();
  std::array<std::uint8_t, 16> out{};
  out[10] = out[11] = 0xff;
  auto v4 = a.to_v4().to_bytes();
  for (int i = 0; i < 4; ++i) out[12 + i] = v4[i];
  return out;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) noexcept {
  auto slash = text.find('/');
  std::string host(text.substr(0, slash));
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  if (addr.is_v6() && addr.to_v6().scope_id() != 0) return std::nullopt;  // no zones
  const unsigned max_bits = addr.is_v4() ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [end, err] = std::from_chars(p.data(), p.data() + p.size(), bits);
    if (p.empty() || err != std::errc() || end != p.data() + p.size() || bits > max_bits)
      return std::nullopt;
  }
  Cidr c;
  c.v4_ = addr.is_v4();
  c.bytes_ = mapped_bytes(addr);
  c.prefix_ = c.v4_ ? bits + 96 : bits;
  // Host bits must be zero: "10.1.2.3/8" is almost always a typo for something else.
  for (unsigned bit = c.prefix_; bit < 128; ++bit)
    if (c.bytes_[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  return c;
}

bool Cidr::contains(const boost::asio::ip::address& addr) const noexcept {
  const auto b = mapped_bytes(addr);
  unsigned full = prefix_ / 8, rest = prefix_ % 8;
  for (unsigned i = 0; i < full; ++i)
    if (b[i] != bytes_[i]) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (b[full] & mask) == (bytes_[full] & mask);
}

std::string Cidr::to_string() const {
  boost::asio::ip::address_v6 v6(bytes_);
  if (v4_) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string() + "/" +
           std::to_string(prefix_ - 96);
  }
  return v6.to_string() + "/" + std::to_string(prefix_);
}

bool any_contains(const std::vector<Cidr>& ranges, const boost::asio::ip::address& addr) noexcept {
  for (const auto& r : ranges)
    if (r.contains(addr)) return true;
  return false;
}

}  // namespace corral
