// Who is calling (docs/http.md "Tenant resolution"): API key → tenant by SHA-256 digest,
// X-Tenant-ID delegation through acts_for, header-only tenants from tenant_header_from
// addresses, and the tenant's allowed_cidrs checked against the client address after
// trusted_proxies. Plain logic over a Config snapshot: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// The digests of the keys presented lately, so that a key seen before skips the SHA-256: each I/O
// thread keeps one (Worker::keys) with kThreadSlots slots in sets of two, a key's set chosen by a
// hash keyed with a random seed (so that nobody can choose keys that take one another's set), a
// new key taking the set's slot used less lately. Two ways keep a thread's memo holding nearly
// every key of a thousand tenants (one way would lose a third of them to keys sharing a slot). Each
// slot holds the keyed hash of its key (its tag) beside the digest: a key is compared, in constant
// time, only with a slot whose tag is its own, so that a lookup reads one key, not both, and no
// comparison tells one client how much of another's key it guessed (a tag is the hash of the whole
// key); the time tells only whether this very key was presented lately.
// Keys longer than kMaxKey are not kept: a memo holds at most slots × kMaxKey bytes of keys (1 MiB
// for a thread's).
class KeyDigestMemo {
 public:
  static constexpr std::size_t kMaxKey = 256;
  static constexpr std::size_t kThreadSlots = 4096;
  explicit KeyDigestMemo(std::size_t slots = 1);  // rounded up to a power of two; two ways from 2 up
  const Sha256& digest(std::string_view key);
  bool holds(std::string_view key) const noexcept;
  std::size_t slots() const noexcept { return slots_.size(); }

 private:
  struct Slot {  // what a hit reads first (tag, digest) on the slot's first cache line
    std::uint64_t tag = 0;
    bool set = false;
    std::uint8_t recent_way = 0;  // in a set's first slot: the way used last
    Sha256 digest{};
    std::string key;
    // The key compared in constant time for keys of one length, when the tags are equal.
    bool holds(std::string_view k, std::uint64_t t) const noexcept;
  };
  struct Place {
    std::size_t set;    // the first slot of the key's set
    std::uint64_t tag;  // the key's keyed hash
  };
  Place place_of(std::string_view key) const noexcept;
  // The slot in the key's set that holds it, or npos.
  std::size_t find(Place p, std::string_view key) const noexcept;

  std::vector<Slot> slots_;
  std::size_t ways_;
  std::uint64_t seed_;
};

// `memo`, when given, is the I/O thread's: see KeyDigestMemo.
Resolution resolve(const Config& config, const Credentials& in, KeyDigestMemo* memo = nullptr);

// The client address: `peer`, or when `peer` is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy.
boost::asio::ip::address client_address(const std::vector<Cidr>& trusted_proxies,
                                        const boost::asio::ip::address& peer,
                                        std::string_view x_forwarded_for);

// The key of "Bearer <key>" (scheme case-insensitive), else the x-api-key value, else empty.
std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) noexcept;

}  // namespace corral::tenancy
