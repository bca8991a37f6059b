// One connection to Redis for one I/O thread (threading model: nothing of it is touched by
// another thread, except the error counters, which are atomics). It connects in the background
// and reconnects with backoff; commands are pipelined on the one connection and each waits at most
// command_timeout for its reply. A circuit breaker stops sending after repeated failures (the
// connection is dropped, pending commands fail at once) and probes again after a cool-down.
// Nothing here blocks: host names are resolved with Asio, the socket is driven by AsioAdapter.
#pragma once

#include <array>
#include <atomic>
#include <vector>
#include <memory>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/units.hpp"
#include "redis/asio_adapter.hpp"
#include "redis/circuit_breaker.hpp"
#include "redis/endpoint.hpp"
#include "redis/reply.hpp"

namespace corral::redis {

// The commands whose failures are counted apart (corral_redis_errors_total{op}): the cache's
// get/set/lock/del, the shared limits' scripts (limit), usage counters (usage), the rest.
enum class Op { get, set, lock, del, limit, usage, other, count_ };
std::string_view to_string(Op op);

struct ClientOptions {
  Endpoint endpoint;
  Duration connect_timeout = std::chrono::seconds(1);
  Duration command_timeout = std::chrono::milliseconds(50);
  std::uint32_t breaker_threshold = 5;           // failures in a row that open the breaker
  Duration breaker_cool_down = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::seconds(2);  // between reconnect attempts
};

class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  RedisClient(asio::any_io_executor ex, ClientOptions o);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  void start();  // begins connecting (and reconnecting until stop)
  void stop();   // drops the connection; pending commands fail

  // Sends one command (arguments are binary-safe). Fails at once when not connected or while the
  // breaker is open.
  awaitable<Result> command(std::vector<std::string_view> args);
  // The same, counting a failure under `op`.
  awaitable<Result> command(std::vector<std::string_view> args, Op op);

  bool connected() const { return connected_; }
  const ClientOptions& options() const { return o_; }
  std::uint64_t errors(Op op) const { return errors_[static_cast<int>(op)].load(std::memory_order_relaxed); }
  std::uint64_t connects() const { return connects_.load(std::memory_order_relaxed); }

 private:
  struct Pending;
  awaitable<void> run();
  awaitable<bool> connect_once();
  void drop();  // frees the context: pending commands complete as disconnected
  void wake() { signal_.cancel(); }
  void count_error(Op op) { errors_[static_cast<int>(op)].fetch_add(1, std::memory_order_relaxed); }

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_login(redisAsyncContext* ac, void* reply, void* self);
  static void on_reply(redisAsyncContext* ac, void* reply, void* pending);

  asio::any_io_executor ex_;
  ClientOptions o_;
  redisAsyncContext* ac_ = nullptr;
  std::shared_ptr<AsioAdapter> adapter_;
  bool connected_ = false, stopped_ = false, running_ = false;
  asio::steady_timer signal_;  // wakes run() on connect, disconnect and stop
  CircuitBreaker breaker_;
  std::array<std::atomic<std::uint64_t>, static_cast<int>(Op::count_)> errors_{};
  std::atomic<std::uint64_t> connects_{0};
};

}  // namespace corral::redis
