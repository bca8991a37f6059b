// The admin listener (admin.listen): /metrics, /healthz, /readyz and /admin/* on a thread of its
// own, so a scrape or a reload never runs on an I/O thread. What the I/O threads know is copied on
// their threads (admin/collect); the answers are built by admin/admin_routes.
#pragma once

#include <optional>
#include <string>
#include <thread>

#include "admin/admin_routes.hpp"
#include "admin/reload.hpp"
#include "cache/worker_cache.hpp"
#include "http/server.hpp"

namespace corral::admin {

class AdminServer {
 public:
  static constexpr std::size_t kMaxConnections = 64;
  static constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
  static constexpr std::uint64_t kMaxBodyBytes = 64 * 1024;
  static constexpr Duration kIoTimeout = std::chrono::seconds(10);
  static constexpr Duration kCollectTimeout = std::chrono::seconds(2);

  AdminServer(Runtime& runtime, http_server::Server& server, Reloader& reloader);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  std::optional<std::string> listen(const HostPort& at);
  tcp::endpoint local_endpoint() const { return endpoint_; }
  void start();
  void stop();  // closes the listener and its connections; joins the thread

 private:
  awaitable<void> accept_loop();
  awaitable<void> session(tcp::socket socket);
  awaitable<Reply> answer(const http::request<http::string_body>& req);
  Reply answer_now(const AdminMatch& m);  // the routes that need no I/O thread
  awaitable<Reply> metrics();
  awaitable<Reply> readiness();
  // /admin/usage and /admin/tenants/{id} as every instance sees them, when Redis keeps usage.
  awaitable<std::optional<Reply>> shared_answer(const AdminMatch& m);

  Runtime& runtime_;
  http_server::Server& server_;
  Reloader& reloader_;
  WorkerContext io_;
  tcp::acceptor acceptor_{io_};
  tcp::endpoint endpoint_;
  std::thread thread_;
  std::size_t connections_ = 0;  // admin thread only
  cache::WorkerCache redis_{io_.get_executor(), runtime_.memory_cache()};  // this thread's Redis connection
};

}  // namespace corral::admin
