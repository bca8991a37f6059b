#include "cli.hpp"

namespace corral::cli {

std::string version() { return std::string("corral ") + CORRAL_VERSION; }

std::string usage() {
  return R"(corral — a multi-tenant gateway for LLM APIs (OpenAI's and Anthropic's)

Usage:
  corral [--config PATH] [--log-level LEVEL]   run in the foreground, logging to stderr
  corral --check-config [--config PATH]         validate the configuration, print "ok" or errors
  corral hash-key                               read an API key on stdin, print sha256:<hex>
  corral --version                              print the version
  corral --help                                 print this help

Options:
  -c, --config PATH     configuration file (default /etc/corral/corral.yaml)
      --check-config    load and validate only; exit 0 if valid, 2 if not
      --log-level LEVEL trace, debug, info, warn, error or off (default info)

Signals:
  SIGHUP            reload the configuration (an invalid file is rejected, the old one kept)
  SIGTERM, SIGINT   stop accepting, finish requests in flight up to server.drain_timeout, exit 0

Configuration errors are printed as PATH:LINE:COLUMN: message, and exit with status 2.
)";
}

Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  auto& o = p.options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) {
        p.error = a + " needs a value";
        return;
      }
      out = args[++i];
    };
    if (a == "--config" || a == "-c") value(o.config_path);
    else if (a.starts_with("--config=")) o.config_path = a.substr(9);
    else if (a == "--log-level") value(o.log_level);
    else if (a.starts_with("--log-level=")) o.log_level = a.substr(12);
    else if (a == "--check-config") o.mode = Options::Mode::check_config;
    else if (a == "hash-key" && i == 0) o.mode = Options::Mode::hash_key;
    else if (a == "--version" || a == "-V") o.mode = Options::Mode::version;
    else if (a == "--help" || a == "-h") o.mode = Options::Mode::help;
    else p.error = "unknown argument: " + a;
    if (!p.error.empty()) return p;
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), o.log_level) == std::end(kLevels))
    p.error = "--log-level must be one of trace, debug, info, warn, error, off";
  return p;
}

}  // namespace corral::cli
