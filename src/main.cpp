// corral: wiring only — command line, configuration, runtime, server, signals.
#include <csignal>
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "admin/admin_server.hpp"
#include "admin/reload.hpp"
#include "cli.hpp"
#include "corral/config_loader.hpp"
#include "corral/hash.hpp"
#include "corral/listener.hpp"
#include "corral/logging.hpp"
#include "http/server.hpp"
#include "runtime.hpp"
#include "state/state_writer.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  // A log going to a pipe that closed (stderr) fails its writes, which are counted; it does not
  // end the daemon. (Sockets send with MSG_NOSIGNAL already.)
  std::signal(SIGPIPE, SIG_IGN);
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
  // Durable usage: read back before anything is served, written from a thread of its own.
  std::unique_ptr<state::StateWriter> state_writer;
  if (const auto& path = loaded.config->state.path; !path.empty()) {
    std::string error;
    auto db = state::UsageDb::open(path, error);
    if (db && !state::load_usage(*db, std::chrono::system_clock::now(),
                                 [&](const std::string& tenant, const auto& rows) {
                                   runtime.restore_usage(tenant, rows, std::chrono::system_clock::now());
                                 },
                                 error))
      db.reset();
    if (!db) {
      std::cerr << "corral: state.path: " << error << "\n";
      return 2;
    }
    state_writer = std::make_unique<state::StateWriter>(
        std::move(db), [&runtime] { return runtime.tenant_limiters(); },
        [&runtime] { return runtime.snapshot()->config->state.flush_interval; }, runtime.state_errors());
    state_writer->start();
  }
  http_server::Server server(runtime);
  if (auto err = server.listen()) {
    spdlog::critical("{}", *err);
    return 1;
  }
  admin::Reloader reloader(runtime, opt.config_path);
  std::optional<admin::AdminServer> admin_server;
  if (const auto& at = loaded.config->admin.listen) {
    admin_server.emplace(runtime, server, reloader);
    if (auto err = admin_server->listen(*at)) {
      spdlog::critical("{}", *err);
      return 1;
    }
  }
  asio::io_context signals_io(1);
  asio::signal_set signals(signals_io, SIGHUP, SIGTERM, SIGINT);
  server.start();
  spdlog::info("{} listening on {} ({} threads)", cli::version(), to_string(server.local_endpoint()),
               loaded.config->server.threads);
  if (admin_server) {
    admin_server->start();
    spdlog::info("admin listening on {}", to_string(admin_server->local_endpoint()));
  }

  std::function<void(const error_code&, int)> on_signal = [&](const error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reloader.reload();
      signals.async_wait(on_signal);
      return;
    }
    const auto timeout = runtime.snapshot()->config->server.drain_timeout;
    spdlog::info("signal {}: draining (up to {} ms)", sig, timeout.count());
    server.drain(timeout);  // the admin listener keeps answering meanwhile (/readyz: 503)
    if (state_writer) state_writer->stop();  // the usage of the last requests is written
    if (admin_server) admin_server->stop();
    spdlog::info("stopped");
  };
  signals.async_wait(on_signal);
  signals_io.run();
  return 0;
}
