#include "corral/cidr.hpp"

#include <gtest/gtest.h>

namespace corral {
namespace {

boost::asio::ip::address ip(const char* s) { return boost::asio::ip::make_address(s); }

TEST(Cidr, ParsesAndMatchesIPv4) {
  auto c = Cidr::parse("10.1.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("10.1.2.3")));
  EXPECT_TRUE(c->contains(ip("10.1.255.255")));
  EXPECT_FALSE(c->contains(ip("10.2.0.0")));
  EXPECT_FALSE(c->contains(ip("::1")));
  EXPECT_EQ(c->to_string(), "10.1.0.0/16");
}

TEST(Cidr, OddPrefixesAndSingleHosts) {
  auto c = Cidr::parse("192.168.1.128/25");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("192.168.1.200")));
  EXPECT_FALSE(c->contains(ip("192.168.1.127")));
  auto host = Cidr::parse("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip("127.0.0.1")));
  EXPECT_FALSE(host->contains(ip("127.0.0.2")));
  auto all = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(ip("8.8.8.8")));
}

TEST(Cidr, IPv6AndMappedAddresses) {
  auto c = Cidr::parse("2001:db8::/32");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(ip("2001:db8:1::5")));
  EXPECT_FALSE(c->contains(ip("2001:db9::1")));
  auto v4 = Cidr::parse("127.0.0.0/8");
  EXPECT_TRUE(v4->contains(ip("::ffff:127.0.0.5")));  // IPv4-mapped
  auto mapped = Cidr::parse("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->contains(ip("10.9.9.9")));
}

TEST(Cidr, RejectsMalformedRanges) {
  for (auto bad : {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.1/8", "::1/129", "host/8",
                   "10.0.0.0/8x", "fe80::1%eth0"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}

}  // namespace
}  // namespace corral
