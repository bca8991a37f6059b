#include "admin/reload.hpp"

#include <spdlog/spdlog.h>

#include "corral/config_loader.hpp"

namespace corral::admin {
namespace {

bool same(const std::optional<HostPort>& a, const std::optional<HostPort>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->host == b->host && a->port == b->port);
}

}  // namespace

std::vector<std::string> restart_only_changes(const Config& before, const Config& after) {
  std::vector<std::string> out;
  const auto& b = before.server;
  const auto& a = after.server;
  if (b.listen.host != a.listen.host || b.listen.port != a.listen.port)
    out.push_back("server.listen takes effect only after a restart");
  if (b.threads != a.threads) out.push_back("server.threads takes effect only after a restart");
  if (b.tls.has_value() != a.tls.has_value() ||
      (b.tls && (b.tls->cert_file != a.tls->cert_file || b.tls->key_file != a.tls->key_file ||
                 b.tls->min_version != a.tls->min_version)))
    out.push_back("server.tls takes effect only after a restart");
  if (!same(before.admin.listen, after.admin.listen))
    out.push_back("admin.listen takes effect only after a restart");
  if (before.state.path != after.state.path) out.push_back("state.path takes effect only after a restart");
  return out;
}

Reloader::Outcome Reloader::reload() {
  std::lock_guard lock(mu_);
  Outcome out;
  auto loaded = load_config_file(path_);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) out.errors.push_back(e.to_string());
  } else {
    out.warnings = restart_only_changes(*runtime_.snapshot()->config, *loaded.config);
    if (auto err = runtime_.apply(loaded.config)) out.errors.push_back(path_ + ": " + *err);
  }
  out.ok = out.errors.empty();
  (out.ok ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
  for (const auto& w : out.warnings) spdlog::warn("reload: {}", w);
  for (const auto& e : out.errors) spdlog::error("reload rejected: {}", e);
  if (out.ok) spdlog::info("configuration reloaded from {}", path_);
  else spdlog::error("reload rejected: still serving the previous configuration");
  return out;
}

}  // namespace corral::admin
