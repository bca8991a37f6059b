// A test's own event loop and Redis client, for driving the Redis code directly (no daemon).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "integration/harness.hpp"
#include "redis/redis_client.hpp"

namespace corral::testing {

struct Loop {
  asio::io_context io;
  void step() {
    if (io.stopped()) io.restart();  // it stops whenever it runs out of work
    io.run_for(5ms);
  }
  // Runs the loop until `a` completes (or 10 s pass: a failure).
  template <class T>
  T run(awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr, T v) { out = std::move(v); });
    const auto deadline = Clock::now() + 10s;
    while (!out && Clock::now() < deadline) step();
    if (!out) throw std::runtime_error("the operation did not complete");
    return std::move(*out);
  }
  // Runs the loop until `cond` holds or the deadline passes.
  template <class F>
  bool until(F cond, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    while (!cond() && Clock::now() < deadline) step();
    return cond();
  }
};

inline std::shared_ptr<redis::RedisClient> client(Loop& l, const std::string& url, Duration command_timeout = 200ms) {
  redis::ClientOptions o;
  o.endpoint = *redis::parse_endpoint(url);
  o.command_timeout = command_timeout;
  o.breaker_threshold = 3;
  o.breaker_cool_down = 300ms;
  o.max_backoff = 100ms;
  auto c = std::make_shared<redis::RedisClient>(l.io.get_executor(), o);
  c->start();
  return c;
}

inline awaitable<redis::Result> cmd(std::shared_ptr<redis::RedisClient> c, std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  co_return co_await c->command(std::move(views));
}

}  // namespace corral::testing
