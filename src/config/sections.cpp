#include "config/sections.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>

namespace corral::config {
namespace {

bool is_token(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || kExtra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool valid_tenant_id(std::string_view id) {
  return id.size() >= 3 && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '-';
         });
}

}  // namespace

std::optional<UpstreamOrigin> parse_base_url(std::string_view url, std::string& why) {
  auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
  if (!parsed) {
    why = "not an absolute URL";
    return std::nullopt;
  }
  const auto& u = *parsed;
  UpstreamOrigin o;
  if (u.scheme() == "https") {
    o.tls = true;
  } else if (u.scheme() != "http") {
    why = "scheme must be http or https";
    return std::nullopt;
  }
  if (u.has_userinfo() || u.has_query() || u.has_fragment()) {
    why = "must not contain credentials, a query or a fragment";
    return std::nullopt;
  }
  o.host = u.encoded_host_address();
  if (o.host.empty()) {
    why = "has no host";
    return std::nullopt;
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) {
      why = "has an invalid port";
      return std::nullopt;
    }
    o.port = u.port_number();
  } else {
    o.port = o.tls ? 443 : 80;
  }
  const bool v6 = u.host_type() == boost::urls::host_type::ipv6;
  const std::string bracketed = v6 ? "[" + o.host + "]" : o.host;
  const bool default_port = o.port == (o.tls ? 443 : 80);
  o.host_header = default_port ? bracketed : bracketed + ":" + std::to_string(o.port);
  o.base_path = std::string(u.encoded_path());
  while (!o.base_path.empty() && o.base_path.back() == '/') o.base_path.pop_back();
  return o;
}

void read_server(YamlReader& r, const YAML::Node& n, ServerConfig& s) {
  s.threads = std::max(1u, std::thread::hardware_concurrency());
  r.fields(n, "server",
           {
               {"listen", [&](auto& v, auto& p) { assign(s.listen, r.host_port(v, p)); }},
               {"threads", [&](auto& v, auto& p) { assign(s.threads, r.uint(v, p, 1, 1024)); }},
               {"tls",
                [&](auto& v, auto& p) {
                  ServerTls tls;
                  bool cert = false, key = false;
                  r.fields(v, p,
                           {{"cert_file",
                             [&](auto& v2, auto& p2) {
                               assign(tls.cert_file, r.readable_file(v2, p2));
                               cert = true;
                             }},
                            {"key_file",
                             [&](auto& v2, auto& p2) {
                               assign(tls.key_file, r.readable_file(v2, p2));
                               key = true;
                             }},
                            {"min_version", [&](auto& v2, auto& p2) {
                               auto m = r.string(v2, p2);
                               if (!m) return;
                               if (*m == "1.2") tls.min_version = 12;
                               else if (*m == "1.3") tls.min_version = 13;
                               else r.error(v2, p2 + ": expected \"1.2\" or \"1.3\"");
                             }}});
                  if (v.IsMap() && (!cert || !key))
                    r.error(v, p + ": needs both cert_file and key_file");
                  s.tls = tls;
                }},
               {"max_connections",
                [&](auto& v, auto& p) { assign(s.max_connections, r.uint(v, p, 1)); }},
               {"max_connections_per_client",
                [&](auto& v, auto& p) { assign(s.max_connections_per_client, r.uint(v, p)); }},
               {"max_header_bytes",
                [&](auto& v, auto& p) { assign(s.max_header_bytes, r.size(v, p, 256)); }},
               {"max_body_bytes", [&](auto& v, auto& p) { assign(s.max_body_bytes, r.size(v, p, 1)); }},
               {"header_timeout", [&](auto& v, auto& p) { assign(s.header_timeout, r.duration(v, p)); }},
               {"body_timeout", [&](auto& v, auto& p) { assign(s.body_timeout, r.duration(v, p)); }},
               {"idle_timeout", [&](auto& v, auto& p) { assign(s.idle_timeout, r.duration(v, p)); }},
               {"drain_timeout",
                [&](auto& v, auto& p) { assign(s.drain_timeout, r.duration(v, p, true)); }},
               {"trusted_proxies", [&](auto& v, auto& p) { assign(s.trusted_proxies, r.cidrs(v, p)); }},
               {"tenant_header_from",
                [&](auto& v, auto& p) { assign(s.tenant_header_from, r.cidrs(v, p)); }},
               {"access_log",
                [&](auto& v, auto& p) {
                  auto a = r.string(v, p);
                  if (a && a->empty()) r.error(v, p + ": must be stderr, off, or a file path");
                  else assign(s.access_log, std::move(a));
                }},
           });
}

void read_admin(YamlReader& r, const YAML::Node& n, AdminConfig& a) {
  r.fields(n, "admin",
           {{"listen", [&](auto& v, auto& p) { a.listen = r.host_port(v, p); }},
            {"token", [&](auto& v, auto& p) { a.token_hash = r.sha256_ref(v, p); }}});
}

void read_redis(YamlReader& r, const YAML::Node& n, RedisConfig& c) {
  bool has_url = false;
  r.fields(
      n, "redis",
      {{"url",
        [&](auto& v, auto& p) {
          has_url = true;
          auto s = r.string(v, p);
          if (!s) return;
          auto u = boost::urls::parse_absolute_uri(*s);
          bool ok = u && (u->scheme() == "redis" || u->scheme() == "unix");
          if (ok && u->scheme() == "redis") {
            ok = !u->encoded_host().empty() && !u->has_query() && !u->has_fragment();
            auto path = u->encoded_path();
            if (ok && !path.empty() && path != "/") {
              std::string db(path.substr(1));
              ok = std::all_of(db.begin(), db.end(), ::isdigit) && db.size() <= 5;
            }
          }
          if (ok && u->scheme() == "unix") ok = u->encoded_path().size() > 1;
          if (!ok) {
            r.error(v, p + ": expected redis://[:password@]host:port[/db] or unix:///path");
            return;
          }
          c.url = *s;
        }},
       {"key_prefix",
        [&](auto& v, auto& p) {
          auto s = r.string(v, p);
          if (s && (s->empty() || s->find_first_of(" :") != std::string::npos))
            r.error(v, p + ": must be non-empty, without spaces or ':'");
          else assign(c.key_prefix, std::move(s));
        }},
       {"command_timeout", [&](auto& v, auto& p) { assign(c.command_timeout, r.duration(v, p)); }},
       {"connect_timeout", [&](auto& v, auto& p) { assign(c.connect_timeout, r.duration(v, p)); }},
       {"shared_limits", [&](auto& v, auto& p) { assign(c.shared_limits, r.boolean(v, p)); }},
       {"on_failure",
        [&](auto& v, auto& p) {
          auto s = r.string(v, p);
          if (!s) return;
          if (*s == "open") c.on_failure = RedisConfig::OnFailure::open;
          else if (*s == "closed") c.on_failure = RedisConfig::OnFailure::closed;
          else r.error(v, p + ": expected open or closed");
        }},
       {"instance_ttl",
        [&](auto& v, auto& p) {
          auto d = r.duration(v, p);
          if (d && *d < std::chrono::seconds(1)) r.error(v, p + ": at least 1s");
          else assign(c.instance_ttl, std::move(d));
        }},
       {"lease", [&](auto& v, auto& p) { assign(c.lease, r.number(v, p, 0, 0.5)); }}});
  if (n.IsMap() && !has_url) r.error(n, "redis: url is required");
}

void read_state(YamlReader& r, const YAML::Node& n, const std::string& config_dir, StateConfig& c) {
  r.fields(n, "state",
           {{"path",
             [&](auto& v, auto& p) {
               auto s = r.string(v, p);
               if (!s) return;
               if (s->empty()) r.error(v, p + ": expected a file path or off");
               else if (*s == "off") c.path.clear();
               else if ((*s)[0] == '/' || config_dir.empty()) c.path = *s;
               else c.path = config_dir + "/" + *s;  // relative to the configuration file
             }},
            {"flush_interval", [&](auto& v, auto& p) { assign(c.flush_interval, r.duration(v, p)); }}});
}

namespace {

void read_provider_headers(YamlReader& r, const YAML::Node& n, const std::string& path,
                           ProviderConfig& pc) {
  static const std::set<std::string, std::less<>> kReserved = {
      "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te",
      "trailer", "upgrade", "proxy-connection", "expect"};
  r.entries(n, path, [&](const std::string& name, const YAML::Node& key, const YAML::Node& v,
                         const std::string& p) {
    if (!is_token(name)) {
      r.error(key, p + ": not a valid header name");
      return;
    }
    if (kReserved.contains(lower(name))) {
      r.error(key, p + ": this header is set by corral and cannot be configured");
      return;
    }
    if (auto value = r.string(v, p)) pc.headers.emplace_back(lower(name), std::move(*value));
  });
}

}  // namespace

void read_providers(YamlReader& r, const YAML::Node& n, Config& cfg) {
  r.entries(n, "providers", [&](const std::string& name, const YAML::Node&, const YAML::Node& v,
                                const std::string& path) {
    ProviderConfig pc;
    pc.name = name;
    bool has_url = false;
    r.fields(
        v, path,
        {{"base_url",
          [&](auto& v2, auto& p) {
            has_url = true;
            auto s = r.string(v2, p);
            if (!s) return;
            std::string why;
            if (auto o = parse_base_url(*s, why)) pc.origin = *o;
            else r.error(v2, p + ": " + why + " (expected http(s)://host[:port][/path])");
          }},
         {"api_key", [&](auto& v2, auto& p) { assign(pc.api_key, r.string(v2, p)); }},
         {"headers", [&](auto& v2, auto& p) { read_provider_headers(r, v2, p, pc); }},
         {"max_concurrency",
          [&](auto& v2, auto& p) { assign(pc.max_concurrency, r.uint(v2, p, 1, 1'000'000)); }},
         {"requests_per_minute",
          [&](auto& v2, auto& p) { assign(pc.requests_per_minute, r.uint(v2, p)); }},
         {"tokens_per_minute",
          [&](auto& v2, auto& p) { assign(pc.tokens_per_minute, r.uint(v2, p)); }},
         {"connect_timeout", [&](auto& v2, auto& p) { assign(pc.connect_timeout, r.duration(v2, p)); }},
         {"first_byte_timeout",
          [&](auto& v2, auto& p) { assign(pc.first_byte_timeout, r.duration(v2, p)); }},
         {"stream_idle_timeout",
          [&](auto& v2, auto& p) { assign(pc.stream_idle_timeout, r.duration(v2, p)); }},
         {"pool",
          [&](auto& v2, auto& p) {
            r.fields(v2, p,
                     {{"max_connections",
                       [&](auto& v3, auto& p3) {
                         assign(pc.pool.max_connections, r.uint(v3, p3, 1, 1'000'000));
                       }},
                      {"max_idle_per_pool",
                       [&](auto& v3, auto& p3) { assign(pc.pool.max_idle_per_pool, r.uint(v3, p3, 0, 100'000)); }},
                      {"idle_ttl",
                       [&](auto& v3, auto& p3) { assign(pc.pool.idle_ttl, r.duration(v3, p3)); }}});
          }},
         {"api",
          [&](auto& v2, auto& p) {
            auto a = r.string(v2, p);
            if (!a) return;
            if (*a == "openai") pc.api = ProviderApi::openai;
            else if (*a == "anthropic") pc.api = ProviderApi::anthropic;
            else r.error(v2, p + ": expected openai or anthropic");
          }},
         {"breaker", [&](auto& v2, auto& p) { read_breaker(r, v2, p, pc.breaker); }},
         {"tls", [&](auto& v2, auto& p) {
            r.fields(v2, p,
                     {{"verify", [&](auto& v3, auto& p3) { assign(pc.tls_verify, r.boolean(v3, p3)); }},
                      {"ca_file",
                       [&](auto& v3, auto& p3) { assign(pc.tls_ca_file, r.readable_file(v3, p3)); }}});
          }}});
    if (!v.IsMap()) return;
    if (!has_url) {
      r.error(v, path + ": base_url is required");
      return;
    }
    pc.index = cfg.providers.size();
    cfg.provider_index.emplace(name, pc.index);
    cfg.providers.push_back(std::move(pc));
  });
}

void read_models(YamlReader& r, const YAML::Node& n, Config& cfg) {
  // fallback_models may name models defined further down: resolved once all are read.
  std::vector<std::pair<std::size_t, YAML::Node>> fallbacks;
  r.entries(n, "models", [&](const std::string& name, const YAML::Node& key, const YAML::Node& v,
                             const std::string& path) {
    ModelConfig mc;
    mc.name = name;
    mc.retry = cfg.retry;
    if (name.empty() || name == "*" || name.size() > 256) {
      r.error(key, path + ": not a valid model name");
      return;
    }
    bool has_routes = false;
    r.fields(
        v, path,
        {{"routes",
          [&](auto& v2, auto& p) {
            has_routes = true;
            r.items(v2, p, [&](const YAML::Node& item, const std::string& ip) {
              RouteConfig rc;
              rc.model = name;
              bool has_provider = false;
              r.fields(item, ip,
                       {{"provider",
                         [&](auto& v3, auto& p3) {
                           has_provider = true;
                           auto s = r.string(v3, p3);
                           if (!s) return;
                           auto it = cfg.provider_index.find(*s);
                           if (it == cfg.provider_index.end()) {
                             r.error(v3, p3 + ": unknown provider \"" + *s + "\"");
                             has_provider = false;
                           } else {
                             rc.provider = it->second;
                           }
                         }},
                        {"model", [&](auto& v3, auto& p3) { assign(rc.model, r.string(v3, p3)); }},
                        {"weight",
                         [&](auto& v3, auto& p3) {
                           if (auto w = r.uint(v3, p3, 1, 1'000'000)) rc.weight = static_cast<std::uint32_t>(*w);
                         }},
                        {"priority", [&](auto& v3, auto& p3) {
                           if (auto pr = r.uint(v3, p3, 0, 1000)) rc.priority = static_cast<std::int32_t>(*pr);
                         }}});
              if (item.IsMap() && !has_provider && !item["provider"])
                r.error(item, ip + ": provider is required");
              if (has_provider) mc.routes.push_back(rc);
            });
            if (v2.IsSequence() && v2.size() == 0) r.error(v2, p + ": needs at least one route");
          }},
         {"context_window", [&](auto& v2, auto& p) { mc.context_window = r.uint(v2, p, 1); }},
         {"price_per_mtok",
          [&](auto& v2, auto& p) {
            Price price;
            bool cached_set = false;
            r.fields(v2, p,
                     {{"input", [&](auto& v3, auto& p3) { assign(price.input, r.number(v3, p3, 0, 1e6)); }},
                      {"output", [&](auto& v3, auto& p3) { assign(price.output, r.number(v3, p3, 0, 1e6)); }},
                      {"cached_input", [&](auto& v3, auto& p3) {
                         cached_set = true;
                         assign(price.cached_input, r.number(v3, p3, 0, 1e6));
                       }}});
            if (!cached_set) price.cached_input = price.input;  // no discount unless stated
            mc.price = price;
          }},
         {"default_max_tokens", [&](auto& v2, auto& p) { assign(mc.default_max_tokens, r.uint(v2, p, 1)); }},
         {"retry", [&](auto& v2, auto& p) { read_retry(r, v2, p, mc.retry); }},
         {"fallback_models", [&](auto& v2, auto&) { fallbacks.emplace_back(cfg.models.size(), v2); }}});
    if (!v.IsMap()) return;
    if (!has_routes) r.error(v, path + ": routes is required");
    cfg.model_index.emplace(name, cfg.models.size());
    cfg.models.push_back(std::move(mc));
  });
  for (auto& fallback : fallbacks) {
    const auto index = fallback.first;  // (a structured binding cannot be captured before clang 16)
    const auto& node = fallback.second;
    auto& mc = cfg.models[index];
    const auto path = "models." + mc.name + ".fallback_models";
    r.items(node, path, [&](const YAML::Node& item, const std::string& ip) {
      auto s = r.string(item, ip);
      if (!s) return;
      auto it = cfg.model_index.find(*s);
      if (it == cfg.model_index.end()) r.error(item, ip + ": unknown model \"" + *s + "\"");
      else if (it->second == index) r.error(item, ip + ": a model cannot be its own fallback");
      else if (std::find(mc.fallback_models.begin(), mc.fallback_models.end(), it->second) != mc.fallback_models.end())
        r.error(item, ip + ": listed twice");
      else mc.fallback_models.push_back(it->second);
    });
  }
}

void read_tiers(YamlReader& r, const YAML::Node& n, Config& cfg) {
  r.entries(n, "tiers", [&](const std::string& name, const YAML::Node&, const YAML::Node& v,
                            const std::string& path) {
    TierConfig t;
    t.name = name;
    bool has_priority = false;
    r.fields(v, path,
             {{"priority",
               [&](auto& v2, auto& p) {
                 auto s = r.string(v2, p);
                 if (!s) return;
                 has_priority = true;
                 if (*s == "critical") t.priority = Priority::critical;
                 else if (*s == "high") t.priority = Priority::high;
                 else if (*s == "normal") t.priority = Priority::normal;
                 else if (*s == "low") t.priority = Priority::low;
                 else r.error(v2, p + ": expected critical, high, normal or low");
               }},
              {"weight", [&](auto& v2, auto& p) { assign(t.weight, r.number(v2, p, 0.001, 1e6)); }}});
    if (v.IsMap() && !v["priority"]) r.error(v, path + ": priority is required");
    cfg.tiers.push_back(std::move(t));
  });
}

void read_cache(YamlReader& r, const YAML::Node& n, CacheConfig& c) {
  r.fields(n, "cache",
           {{"max_entry_bytes", [&](auto& v, auto& p) { assign(c.max_entry_bytes, r.size(v, p, 1)); }},
            {"memory_bytes", [&](auto& v, auto& p) { assign(c.memory_bytes, r.size(v, p, 0)); }},
            {"fill_wait", [&](auto& v, auto& p) { assign(c.fill_wait, r.duration(v, p)); }}});
}

void read_scheduler(YamlReader& r, const YAML::Node& n, SchedulerConfig& s) {
  r.fields(
      n, "scheduler",
      {{"max_queue", [&](auto& v, auto& p) { assign(s.max_queue, r.uint(v, p, 1)); }},
       {"max_queue_per_tenant", [&](auto& v, auto& p) { assign(s.max_queue_per_tenant, r.uint(v, p, 1)); }},
       {"max_queue_wait", [&](auto& v, auto& p) { assign(s.max_queue_wait, r.duration(v, p)); }},
       {"mode",
        [&](auto& v, auto& p) {
          auto m = r.string(v, p);
          if (!m) return;
          if (*m == "fair") s.fifo = false;
          else if (*m == "fifo") s.fifo = true;
          else r.error(v, p + ": expected fair or fifo");
        }},
       {"headroom", [&](auto& v, auto& p) { assign(s.headroom, r.number(v, p, 0, 0.5)); }},
       {"min_share", [&](auto& v, auto& p) {
          r.fields(v, p,
                   {{"high", [&](auto& v2, auto& p2) { assign(s.min_share_high, r.number(v2, p2, 0, 0.5)); }},
                    {"normal",
                     [&](auto& v2, auto& p2) { assign(s.min_share_normal, r.number(v2, p2, 0, 0.5)); }},
                    {"low", [&](auto& v2, auto& p2) { assign(s.min_share_low, r.number(v2, p2, 0, 0.5)); }}});
          if (s.min_share_high + s.min_share_normal + s.min_share_low >= 1.0)
            r.error(v, p + ": the shares must add up to less than 1");
        }}});
}

namespace {

void read_tenant_limits(YamlReader& r, const YAML::Node& v, const std::string& p, RateLimits& l) {
  r.fields(v, p,
           {{"requests_per_minute", [&](auto& v2, auto& p2) { assign(l.requests_per_minute, r.uint(v2, p2)); }},
            {"tokens_per_minute", [&](auto& v2, auto& p2) { assign(l.tokens_per_minute, r.uint(v2, p2)); }},
            {"concurrent_requests", [&](auto& v2, auto& p2) { assign(l.concurrent_requests, r.uint(v2, p2)); }},
            {"burst_allowance",
             [&](auto& v2, auto& p2) { assign(l.burst_allowance, r.number(v2, p2, 1.0, 1000.0)); }}});
}

void read_tenant_cache(YamlReader& r, const YAML::Node& v, const std::string& p, TenantConfig& t) {
  r.fields(v, p,
           {{"mode",
             [&](auto& v2, auto& p2) {
               auto s = r.string(v2, p2);
               if (!s) return;
               if (*s == "off") t.cache_mode = CacheMode::off;
               else if (*s == "deterministic") t.cache_mode = CacheMode::deterministic;
               else if (*s == "always") t.cache_mode = CacheMode::always;
               else r.error(v2, p2 + ": expected off, deterministic or always");
             }},
            {"ttl", [&](auto& v2, auto& p2) { assign(t.cache_ttl, r.duration(v2, p2)); }}});
}

// A list of names, each either "*" or one of `known`.
template <class Known>
void read_name_list(YamlReader& r, const YAML::Node& v, const std::string& p, const Known& known,
                    std::string_view kind, bool& any, std::vector<std::string>& names) {
  any = false;
  names.clear();
  r.items(v, p, [&](const YAML::Node& item, const std::string& ip) {
    auto s = r.string(item, ip);
    if (!s) return;
    if (*s == "*") any = true;
    else if (!known.contains(*s)) r.error(item, ip + ": unknown " + std::string(kind) + " \"" + *s + "\"");
    else names.push_back(*s);
  });
}

}  // namespace

void read_tenants(YamlReader& r, const YAML::Node& n, Config& cfg) {
  std::set<std::string, std::less<>> ids;
  if (n.IsMap())
    for (auto it = n.begin(); it != n.end(); ++it)
      if (it->first.IsScalar()) ids.insert(it->first.Scalar());
  std::unordered_map<Sha256, std::string, Sha256Hash> key_owner;

  r.entries(n, "tenants", [&](const std::string& id, const YAML::Node& key, const YAML::Node& v,
                              const std::string& path) {
    if (!valid_tenant_id(id)) {
      r.error(key, path + ": tenant id must match [A-Za-z0-9_-]{3,64}");
      return;
    }
    TenantConfig t;
    t.id = id;
    std::optional<double> weight;
    std::string tier_name = "standard";
    YAML::Node tier_node = v.IsMap() ? v["tier"] : YAML::Node();
    r.fields(
        v, path,
        {{"tier", [&](auto& v2, auto& p) { assign(tier_name, r.string(v2, p)); }},
         {"weight", [&](auto& v2, auto& p) { weight = r.number(v2, p, 0.001, 1e6); }},
         {"api_keys",
          [&](auto& v2, auto& p) {
            r.items(v2, p, [&](const YAML::Node& item, const std::string& ip) {
              auto d = r.sha256_ref(item, ip);
              if (!d) return;
              auto [it, fresh] = key_owner.emplace(*d, id);
              if (!fresh) r.error(item, ip + ": the same key is already listed for tenant " + it->second);
              else t.api_keys.push_back(*d);
            });
          }},
         {"acts_for", [&](auto& v2, auto& p) { read_name_list(r, v2, p, ids, "tenant", t.acts_for_any, t.acts_for); }},
         {"models",
          [&](auto& v2, auto& p) {
            read_name_list(r, v2, p, cfg.model_index, "model", t.all_models, t.models);
          }},
         {"allowed_cidrs", [&](auto& v2, auto& p) { assign(t.allowed_cidrs, r.cidrs(v2, p)); }},
         {"rate_limits", [&](auto& v2, auto& p) { read_tenant_limits(r, v2, p, t.rate_limits); }},
         {"cache", [&](auto& v2, auto& p) { read_tenant_cache(r, v2, p, t); }},
         {"budget", [&](auto& v2, auto& p) {
            r.fields(v2, p, {{"monthly_usd", [&](auto& v3, auto& p3) {
                                assign(t.budget_monthly_usd, r.number(v3, p3, 0, 1e12));
                              }}});
          }}});
    if (!v.IsMap() && !v.IsNull()) return;
    auto tier = std::find_if(cfg.tiers.begin(), cfg.tiers.end(),
                             [&](const TierConfig& tc) { return tc.name == tier_name; });
    if (tier == cfg.tiers.end()) {
      r.error(tier_node ? tier_node : key, path + ".tier: unknown tier \"" + tier_name + "\"");
      return;
    }
    t.tier = static_cast<std::size_t>(tier - cfg.tiers.begin());
    t.weight = weight.value_or(tier->weight);
    t.index = cfg.tenants.size();
    cfg.tenant_index.emplace(id, cfg.tenants.size());
    for (const auto& d : t.api_keys) cfg.key_index.emplace(d, cfg.tenants.size());
    cfg.tenants.push_back(std::move(t));
  });
}

}  // namespace corral::config
