// corral: wiring only — command line, configuration, runtime, server, signals.
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "cli.hpp"
#include "corral/config_loader.hpp"
#include "corral/hash.hpp"
#include "corral/listener.hpp"
#include "corral/logging.hpp"
#include "http/server.hpp"
#include "runtime.hpp"

using namespace corral;

namespace {

int print_errors(const std::vector<ConfigError>& errors) {
  for (const auto& e : errors) std::cerr << e.to_string() << "\n";
  return 2;
}

int hash_key() {
  std::string key;
  std::getline(std::cin, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == '\n')) key.pop_back();
  if (key.empty()) {
    std::cerr << "corral hash-key: no key on standard input\n";
    return 2;
  }
  std::cout << "sha256:" << to_hex(sha256(key)) << "\n";
  return 0;
}

void reload(Runtime& runtime, const std::string& path) {
  auto loaded = load_config_file(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) spdlog::error("reload rejected: {}", e.to_string());
    return;
  }
  const auto& before = runtime.snapshot()->config->server;
  const auto& after = loaded.config->server;
  if (before.listen.host != after.listen.host || before.listen.port != after.listen.port ||
      before.threads != after.threads || before.tls.has_value() != after.tls.has_value())
    spdlog::warn("reload: server.listen, server.threads and server.tls take effect only after a restart");
  if (auto err = runtime.apply(loaded.config)) {
    spdlog::error("reload rejected: {}", *err);
    return;
  }
  spdlog::info("configuration reloaded from {}", path);
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = cli::parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.error.empty()) {
    std::cerr << "corral: " << parsed.error << "\n\n" << cli::usage();
    return 2;
  }
  const auto& opt = parsed.options;
  switch (opt.mode) {
    case cli::Options::Mode::help:
      std::cout << cli::usage();
      return 0;
    case cli::Options::Mode::version:
      std::cout << cli::version() << "\n";
      return 0;
    case cli::Options::Mode::hash_key:
      return hash_key();
    default:
      break;
  }

  auto loaded = load_config_file(opt.config_path);
  if (!loaded.config) return print_errors(loaded.errors);
  if (opt.mode == cli::Options::Mode::check_config) {
    std::cout << "ok\n";
    return 0;
  }

  init_logging(opt.log_level);
  Runtime runtime;
  if (auto err = runtime.apply(loaded.config)) {
    std::cerr << opt.config_path << ": " << *err << "\n";
    return 2;
  }
  http_server::Server server(runtime);
  if (auto err = server.listen()) {
    spdlog::critical("{}", *err);
    return 1;
  }
  asio::io_context signals_io(1);
  asio::signal_set signals(signals_io, SIGHUP, SIGTERM, SIGINT);
  server.start();
  spdlog::info("{} listening on {} ({} threads)", cli::version(), to_string(server.local_endpoint()),
               loaded.config->server.threads);

  std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload(runtime, opt.config_path);
      signals.async_wait(on_signal);
      return;
    }
    const auto timeout = runtime.snapshot()->config->server.drain_timeout;
    spdlog::info("signal {}: draining (up to {} ms)", sig, timeout.count());
    server.drain(timeout);
    spdlog::info("stopped");
  };
  signals.async_wait(on_signal);
  signals_io.run();
  return 0;
}
