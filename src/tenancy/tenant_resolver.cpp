#include "tenancy/tenant_resolver.hpp"

#include <openssl/crypto.h>

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

bool KeyDigestMemo::holds(std::string_view key) const noexcept {
  return set_ && key.size() == key_.size() && CRYPTO_memcmp(key.data(), key_.data(), key.size()) == 0;
}

const Sha256& KeyDigestMemo::digest(std::string_view key) {
  if (holds(key)) return digest_;
  digest_ = sha256(key);
  set_ = key.size() <= kMaxKey;
  if (set_) key_.assign(key);
  else std::string().swap(key_);
  return digest_;
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
