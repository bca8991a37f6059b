// The client listener and its I/O threads (see worker.hpp for the threading model): starting,
// and the graceful stop of SIGTERM — stop accepting, close idle connections, let requests in
// flight finish up to drain_timeout, then close what is left.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/chain.hpp"
#include "runtime.hpp"
#include "worker.hpp"

namespace corral::http_server {

class Server {
 public:
  explicit Server(Runtime& runtime);
  ~Server();

  // Binds one acceptor per thread on server.listen; an error message on failure.
  std::optional<std::string> listen();
  tcp::endpoint local_endpoint() const { return endpoint_; }
  void start();
  // Blocks until every worker has stopped (drained or timed out).
  void drain(Duration timeout);
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  // For the admin listener: the workers (each touched only on its own thread) and shared counts.
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
  const ClientConnections& clients() const { return clients_; }

 private:
  awaitable<void> accept_loop(Worker& w, tcp::acceptor& acceptor);
  static void refuse(tcp::socket socket, bool tls);
  awaitable<void> local_upkeep(Worker& w);
  awaitable<void> redis_upkeep(Worker& w);
  // False when Redis could not be told.
  awaitable<bool> renew_presence(redis::RedisClient& redis, const RedisConfig& cfg, bool leaving = false);
  awaitable<void> drain_worker(Worker& w, std::chrono::steady_clock::time_point deadline);

  Runtime& runtime_;
  ClientConnections clients_;
  std::atomic<bool> draining_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<proxy::Chain>> chains_;  // one per worker, used on its thread only
  std::vector<tcp::acceptor> acceptors_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::shared_ptr<ssl::context> tls_;
  tcp::endpoint endpoint_;
};

}  // namespace corral::http_server
