#include "tenancy/tenant_resolver.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

#include <boost/beast/core/string.hpp>

namespace corral::tenancy {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) noexcept {
  authorization = trim(authorization);
  if (authorization.size() > 7 && boost::beast::iequals(authorization.substr(0, 7), "bearer "))
    return trim(authorization.substr(7));
  if (!authorization.empty()) return {};  // another scheme: no usable key
  return trim(x_api_key);
}

boost::asio::ip::address client_address(const std::vector<Cidr>& trusted,
                                        const boost::asio::ip::address& peer,
                                        std::string_view xff) {
  if (trusted.empty() || xff.empty() || !any_contains(trusted, peer)) return peer;
  auto current = peer;
  while (!xff.empty()) {
    const auto comma = xff.rfind(',');
    const auto item = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    xff = comma == std::string_view::npos ? std::string_view() : xff.substr(0, comma);
    boost::system::error_code ec;
    const auto addr = boost::asio::ip::make_address(std::string(item), ec);
    if (ec) break;  // unparseable hop: believe nothing further left
    current = addr;
    if (!any_contains(trusted, addr)) break;
  }
  return current;
}

KeyDigestMemo::KeyDigestMemo(std::size_t slots)
    : slots_(std::bit_ceil(std::max<std::size_t>(1, slots))), ways_(slots_.size() >= 2 ? 2 : 1) {
  std::random_device random;
  seed_ = (static_cast<std::uint64_t>(random()) << 32) ^ random();
}

namespace {

// Every bit of the result depends on every bit of `h` (MurmurHash3's 64-bit finaliser).
std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

KeyDigestMemo::Place KeyDigestMemo::place_of(std::string_view key) const noexcept {
  // Eight bytes at a time, each mixed in whole; the time depends on the length alone.
  std::uint64_t h = seed_ ^ key.size();
  std::size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = mix(h ^ w);
  }
  std::uint64_t w = 0;
  if (i < key.size()) std::memcpy(&w, key.data() + i, key.size() - i);  // (no key: its data may be null)
  h = mix(h ^ w);
  const std::size_t sets = slots_.size() / ways_;
  return {(static_cast<std::size_t>(h) & (sets - 1)) * ways_, h};
}

bool KeyDigestMemo::Slot::holds(std::string_view k, std::uint64_t t) const noexcept {
  return set && tag == t && k.size() == key.size() &&
         CRYPTO_memcmp(k.data(), key.data(), k.size()) == 0;
}

std::size_t KeyDigestMemo::find(Place p, std::string_view key) const noexcept {
  for (std::size_t w = 0; w < ways_; ++w)
    if (slots_[p.set + w].holds(key, p.tag)) return p.set + w;
  return std::string_view::npos;
}

bool KeyDigestMemo::holds(std::string_view key) const noexcept {
  return find(place_of(key), key) != std::string_view::npos;
}

const Sha256& KeyDigestMemo::digest(std::string_view key) {
  const auto p = place_of(key);
  const auto set = p.set;
  auto at = find(p, key);
  if (at == std::string_view::npos) {
    at = set;  // the slot not used last (an empty one first)
    for (std::size_t w = 0; w < ways_; ++w)
      if (!slots_[set + w].set) {
        at = set + w;
        break;
      } else if (w != slots_[set].recent_way) {
        at = set + w;
      }
    auto& s = slots_[at];
    s.digest = sha256(key);
    s.tag = p.tag;
    s.set = key.size() <= kMaxKey;
    if (s.set) s.key.assign(key);
    else std::string().swap(s.key);
  }
  slots_[set].recent_way = static_cast<std::uint8_t>(at - set);
  return slots_[at].digest;
}

Resolution resolve(const Config& config, const Credentials& in, KeyDigestMemo* memo) {
  Resolution out;
  out.client = client_address(config.server.trusted_proxies, in.peer, in.x_forwarded_for);

  // The digest is computed whether or not a key was sent, so an unknown, malformed or missing
  // key all take the same path and time (a key equal to the one the connection presented last
  // takes the memo's digest: the time then tells only that this key was sent before on it).
  const auto key = presented_key(in.authorization, in.x_api_key);
  const auto digest = memo ? memo->digest(key) : sha256(key);
  const auto owner = config.key_index.find(digest);
  const bool key_valid = !key.empty() && owner != config.key_index.end();
  const auto tenant_id = trim(in.x_tenant_id);

  const TenantConfig* tenant = nullptr;
  if (key_valid) {
    tenant = &config.tenants[owner->second];
    if (!tenant_id.empty() && tenant_id != tenant->id) {
      const auto* other = config.find_tenant(tenant_id);
      if (!other || !tenant->may_act_for(tenant_id)) {
        out.error = Errc::tenant_not_allowed;
        return out;
      }
      tenant = other;
    }
  } else if (key.empty() && !tenant_id.empty() &&
             any_contains(config.server.tenant_header_from, in.peer)) {
    tenant = config.find_tenant(tenant_id);
    if (!tenant) {
      out.error = Errc::tenant_not_allowed;
      return out;
    }
  } else {
    out.error = Errc::invalid_api_key;
    return out;
  }

  if (!tenant->allowed_cidrs.empty() && !any_contains(tenant->allowed_cidrs, out.client)) {
    out.error = Errc::ip_not_allowed;
    return out;
  }
  out.tenant = tenant;
  return out;
}

}  // namespace corral::tenancy
