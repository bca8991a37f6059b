#include "load_plan.hpp"

#include <fstream>
#include <sstream>

#include "corral/units.hpp"

namespace corral::load {

const char* const kUsage = R"(corral-load — load generator for corral's benchmarks

Usage: corral-load --target HOST:PORT [options] --tenant SPEC [--tenant SPEC ...]
  --mode closed|open     closed: each connection sends back to back (default);
                         open: a constant arrival rate per tenant, latency measured from each
                         request's intended send time (no coordinated omission)
  --duration D           measured time (default 10s)     --warmup D   before it (default 1s)
  --timeout D            per request (default 30s)       --json FILE  results as JSON
  --body-file FILE       default request body for tenants without body=@FILE
Tenant SPEC, comma separated: name=N,key=K,conns=C,rate=R,stream=0|1,start=D,stop=D,
  path=/v1/...,body=@FILE,header=NAME:VALUE (repeatable),
  keys=@FILE (one key per line, one drawn per request instead of key=),
  zipf=S (with keys=: the k-th key drawn with probability proportional to 1/k^S; default 1, 0 uniform)
  e.g. --tenant name=acme,key=sk-acme-0001,conns=8  --tenant name=flood,key=sk-x,rate=2000,start=5s
)";

namespace {

const char* kDefaultBody =
    R"({"model":"gpt-4.1","messages":[{"role":"system","content":"You are a helpful assistant."},)"
    R"({"role":"user","content":"Summarise the benefits of connection pooling in two sentences, )"
    R"(for an audience of backend engineers who operate busy HTTP services."}],"temperature":0.7,"max_tokens":200})";

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool parse_tenant(const std::string& spec, const std::string& default_body, TenantPlan& t, std::string& error) {
  t.body = default_body;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      error = "tenant field without '=': " + item;
      return false;
    }
    const auto k = item.substr(0, eq), v = item.substr(eq + 1);
    try {
      if (k == "name") t.name = v;
      else if (k == "key") t.key = v;
      else if (k == "path") t.path = v;
      else if (k == "conns") t.connections = static_cast<unsigned>(std::stoul(v));
      else if (k == "rate") t.rate = std::stod(v);
      else if (k == "zipf") t.zipf = std::stod(v);
      else if (k == "keys") {
        auto text = v.starts_with("@") ? read_file(v.substr(1)) : std::nullopt;
        if (!text) {
          error = "keys must be @FILE (readable): " + v;
          return false;
        }
        std::stringstream lines(*text);
        for (std::string line; std::getline(lines, line);)
          if (!line.empty()) t.keys.push_back(line);
        if (t.keys.empty()) {
          error = "keys file has no keys: " + v;
          return false;
        }
      }
      else if (k == "stream") t.stream = v == "1" || v == "true";
      else if (k == "start" || k == "stop") {
        auto d = parse_duration(v);
        if (!d) {
          error = k + " needs a duration like 5s";
          return false;
        }
        (k == "start" ? t.start : t.stop) = *d;
      } else if (k == "body") {
        auto b = v.starts_with("@") ? read_file(v.substr(1)) : std::nullopt;
        if (!b) {
          error = "body must be @FILE (readable): " + v;
          return false;
        }
        t.body = *b;
      } else if (k == "header") {
        const auto colon = v.find(':');
        if (colon == std::string::npos) {
          error = "header needs NAME:VALUE";
          return false;
        }
        t.headers.emplace_back(v.substr(0, colon), v.substr(colon + 1));
      } else {
        error = "unknown tenant field " + k;
        return false;
      }
    } catch (const std::exception&) {
      error = "bad number in " + item;
      return false;
    }
  }
  if (t.connections == 0) t.connections = 1;
  if (t.zipf < 0) {
    error = "zipf must be 0 or more";
    return false;
  }
  if (t.stream && t.body.find("\"stream\"") == std::string::npos) {
    const auto brace = t.body.rfind('}');
    if (brace != std::string::npos) t.body.insert(brace, ",\"stream\":true");
  }
  return true;
}

}  // namespace

std::optional<RunPlan> parse_plan(int argc, char** argv, std::string& error) {
  RunPlan plan;
  std::string default_body = kDefaultBody;
  std::vector<std::string> tenant_specs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        error = a + " needs a value";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    auto duration = [&](std::chrono::milliseconds& out) {
      auto v = value();
      auto d = v ? parse_duration(*v) : std::nullopt;
      if (!d) error = a + " needs a duration like 10s";
      else out = *d;
      return d.has_value();
    };
    if (a == "--target") {
      auto v = value();
      if (!v) return std::nullopt;
      const auto colon = v->rfind(':');
      if (colon == std::string::npos) {
        error = "--target needs HOST:PORT";
        return std::nullopt;
      }
      plan.host = v->substr(0, colon);
      plan.port = static_cast<unsigned short>(std::stoul(v->substr(colon + 1)));
    } else if (a == "--mode") {
      auto v = value();
      if (!v || (*v != "open" && *v != "closed")) {
        error = "--mode is open or closed";
        return std::nullopt;
      }
      plan.mode = *v == "open" ? RunPlan::Mode::open : RunPlan::Mode::closed;
    } else if (a == "--duration") {
      if (!duration(plan.duration)) return std::nullopt;
    } else if (a == "--warmup") {
      if (!duration(plan.warmup)) return std::nullopt;
    } else if (a == "--timeout") {
      if (!duration(plan.request_timeout)) return std::nullopt;
    } else if (a == "--json") {
      auto v = value();
      if (!v) return std::nullopt;
      plan.json_path = *v;
    } else if (a == "--body-file") {
      auto v = value();
      auto b = v ? read_file(*v) : std::nullopt;
      if (!b) {
        error = "--body-file: cannot read";
        return std::nullopt;
      }
      default_body = *b;
    } else if (a == "--tenant") {
      auto v = value();
      if (!v) return std::nullopt;
      tenant_specs.push_back(*v);
    } else if (a == "--help" || a == "-h") {
      error = "help";
      return std::nullopt;
    } else {
      error = "unknown argument " + a;
      return std::nullopt;
    }
  }
  if (plan.port == 0) {
    error = "--target HOST:PORT is required";
    return std::nullopt;
  }
  if (tenant_specs.empty()) tenant_specs.push_back("name=default");
  for (const auto& spec : tenant_specs) {
    TenantPlan t;
    if (!parse_tenant(spec, default_body, t, error)) return std::nullopt;
    if (plan.mode == RunPlan::Mode::open && t.rate <= 0) {
      error = "open loop: tenant " + t.name + " needs rate=N";
      return std::nullopt;
    }
    plan.tenants.push_back(std::move(t));
  }
  return plan;
}

}  // namespace corral::load
