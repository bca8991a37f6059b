// Who is calling (spec/http.md "Tenant resolution"): API key → tenant by SHA-256 digest,
// X-Tenant-ID delegation through acts_for, header-only tenants from tenant_header_from
// addresses, and the tenant's allowed_cidrs checked against the client address after
// trusted_proxies. Plain logic over a Config snapshot: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "corral/config.hpp"
#include "corral/error.hpp"
#include "corral/hash.hpp"

namespace corral::tenancy {

struct Credentials {
  std::string_view authorization;  // Authorization header value, may be empty
  std::string_view x_api_key;      // x-api-key header value, may be empty
  std::string_view x_tenant_id;    // X-Tenant-ID header value, may be empty
  std::string_view x_forwarded_for;
  boost::asio::ip::address peer;   // the socket's remote address
};

struct Resolution {
  const TenantConfig* tenant = nullptr;   // set when error == ok
  boost::asio::ip::address client;        // the client address after trusted_proxies
  Errc error = Errc::ok;
};

// The digest of the key a connection presented last, so that the requests after the first on a
// keep-alive connection (which almost always present the same key) skip the SHA-256. The key is
// compared in constant time: one connection may carry several clients' requests (a pooling proxy
// in front), and the comparison must not tell one client how much of another's key it guessed.
// Keys longer than kMaxKey are not kept (a bound on the memory a connection holds).
class KeyDigestMemo {
 public:
  static constexpr std::size_t kMaxKey = 256;
  const Sha256& digest(std::string_view key);
  bool holds(std::string_view key) const noexcept;

 private:
  std::string key_;
  Sha256 digest_{};
  bool set_ = false;
};

// `memo`, when given, is the connection's: see KeyDigestMemo.
Resolution resolve(const Config& config, const Credentials& in, KeyDigestMemo* memo = nullptr);

// The client address: `peer`, or when `peer` is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy.
boost::asio::ip::address client_address(const std::vector<Cidr>& trusted_proxies,
                                        const boost::asio::ip::address& peer,
                                        std::string_view x_forwarded_for);

// The key of "Bearer <key>" (scheme case-insensitive), else the x-api-key value, else empty.
std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) noexcept;

}  // namespace corral::tenancy
