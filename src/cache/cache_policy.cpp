#include "cache/cache_policy.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include "corral/hash.hpp"

namespace corral::cache {

std::string canonical_request(const nlohmann::json& body) {
  nlohmann::json c = body;  // nlohmann::json keeps object keys sorted: dump() is canonical
  if (c.is_object())
    for (const char* f : {"user", "stream_options", "metadata"}) c.erase(f);
  return c.dump();
}

std::string cache_key(std::string_view prefix, std::string_view tenant, std::string_view model, api::Operation op,
                      const nlohmann::json& body) {
  std::string k;
  k.reserve(prefix.size() + tenant.size() + model.size() + 80);
  // Under the tenant's hash tag, as every key of the tenant (one Redis Cluster slot per tenant).
  k.append("{").append(prefix).append(":t:").append(tenant).append("}:resp:").append(model).append(":");
  std::string hashed(api::upstream_path(op));
  hashed.push_back('\n');
  hashed.append(canonical_request(body));
  k.append(to_hex(sha256(hashed)));
  return k;
}

namespace {

// Under `deterministic`: temperature 0 or a seed. Embeddings have no sampling: always.
bool deterministic(api::Operation op, const nlohmann::json& body) {
  if (op == api::Operation::embeddings) return true;
  auto seed = body.find("seed");
  if (seed != body.end() && seed->is_number_integer()) return true;
  auto t = body.find("temperature");
  return t != body.end() && t->is_number() && t->get<double>() == 0.0;
}

// Whether the comma-separated Cache-Control value has `directive`.
bool has_directive(std::string_view value, std::string_view directive) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (boost::algorithm::iequals(item, directive)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Plan plan(const TenantConfig& tenant, api::Operation op, const nlohmann::json& body,
          std::string_view cache_control, std::string_view key_prefix, std::string_view model) {
  Plan p;
  if (tenant.cache_mode == CacheMode::off) return p;
  p.enabled = true;
  if (tenant.cache_mode == CacheMode::deterministic && !deterministic(op, body)) return p;
  p.lookup = !has_directive(cache_control, "no-cache");
  p.store = !has_directive(cache_control, "no-store");
  if (p.lookup || p.store) p.key = cache_key(key_prefix, tenant.id, model, op, body);
  return p;
}

}  // namespace corral::cache
