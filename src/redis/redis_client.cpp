#include "redis/redis_client.hpp"

#include <hiredis/async.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include <boost/algorithm/string/predicate.hpp>

namespace corral::redis {

std::string_view to_string(Op op) {
  switch (op) {
    case Op::get: return "get";
    case Op::set: return "set";
    case Op::lock: return "lock";
    case Op::del: return "del";
    case Op::limit: return "limit";
    case Op::usage: return "usage";
    default: return "other";
  }
}

namespace {

Op op_of(std::string_view name, std::size_t argc) {
  using boost::algorithm::iequals;
  if (iequals(name, "GET")) return Op::get;
  if (iequals(name, "SET")) return argc > 4 ? Op::lock : Op::set;  // SET k v NX PX ms: the fill lock
  if (iequals(name, "DEL")) return Op::del;
  return Op::other;
}

}  // namespace

// One command waiting for its reply. hiredis calls on_reply exactly once per command (with a null
// reply when the context is freed first); the awaiting coroutine may have given up by then.
struct RedisClient::Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool done = false, abandoned = false;
  Result result;
};

RedisClient::RedisClient(asio::any_io_executor ex, ClientOptions o)
    : ex_(std::move(ex)), o_(std::move(o)), signal_(ex_), breaker_(o_.breaker_threshold, o_.breaker_cool_down) {}

RedisClient::~RedisClient() {
  stopped_ = true;
  drop();
}

void RedisClient::start() {
  if (running_) return;
  running_ = true;
  asio::co_spawn(ex_, run(), asio::detached);
}

void RedisClient::stop() {
  stopped_ = true;
  drop();
  wake();
}

void RedisClient::drop() {
  if (!ac_) return;
  auto* ac = ac_;
  ac_ = nullptr;
  connected_ = false;
  ac->data = nullptr;  // on_disconnect will not touch us: we already know
  redisAsyncFree(ac);  // pending commands get their (null) replies now
  adapter_.reset();
}

awaitable<void> RedisClient::run() {
  auto self = shared_from_this();
  Duration backoff = std::chrono::milliseconds(50);
  while (!stopped_) {
    if (breaker_.open(std::chrono::steady_clock::now())) {  // cooling down: not even connecting
      signal_.expires_after(o_.breaker_cool_down);
      co_await signal_.async_wait(use_nothrow);
      continue;
    }
    const auto began = std::chrono::steady_clock::now();
    if (co_await connect_once()) {
      backoff = std::chrono::milliseconds(50);
      while (ac_ && !stopped_) {  // connected: sleep until the link drops or we stop
        signal_.expires_at(asio::steady_timer::time_point::max());
        co_await signal_.async_wait(use_nothrow);
      }
      if (stopped_) break;
      spdlog::warn("redis: connection to {} lost", o_.endpoint.unix_path.empty() ? o_.endpoint.host : o_.endpoint.unix_path);
    }
    if (stopped_) break;
    // Back off before the next attempt (doubling, bounded), counted from the attempt's start.
    signal_.expires_at(began + backoff);
    co_await signal_.async_wait(use_nothrow);
    backoff = std::min(backoff * 2, o_.max_backoff);
  }
  running_ = false;
}

awaitable<bool> RedisClient::connect_once() {
  const auto& e = o_.endpoint;
  redisAsyncContext* ac = nullptr;
  if (!e.unix_path.empty()) {
    ac = redisAsyncConnectUnix(e.unix_path.c_str());
  } else {
    // hiredis would resolve a host name with a blocking getaddrinfo: resolve it here instead.
    std::string ip = e.host;
    error_code ec;
    asio::ip::make_address(ip, ec);
    if (ec) {
      tcp::resolver resolver(ex_);
      auto [rec, results] = co_await resolver.async_resolve(e.host, std::to_string(e.port), use_nothrow);
      if (rec || results.empty()) {
        spdlog::warn("redis: cannot resolve {}: {}", e.host, rec ? rec.message() : "no address");
        co_return false;
      }
      ip = results.begin()->endpoint().address().to_string();
    }
    if (stopped_) co_return false;
    ac = redisAsyncConnect(ip.c_str(), e.port);
  }
  if (!ac) co_return false;
  if (ac->err) {
    spdlog::warn("redis: cannot connect: {}", ac->errstr ? ac->errstr : "error");
    redisAsyncFree(ac);
    co_return false;
  }
  ac->c.reader->fn = bounded_reply_functions();
  adapter_ = AsioAdapter::attach(ac, ex_);
  if (!adapter_) {
    redisAsyncFree(ac);
    co_return false;
  }
  ac_ = ac;
  ac->data = this;
  redisAsyncSetConnectCallback(ac, &RedisClient::on_connect);  // waits for the first write event
  redisAsyncSetDisconnectCallback(ac, &RedisClient::on_disconnect);
  // Log in before anything else: commands are pipelined behind these.
  if (!e.password.empty())
    redisAsyncCommand(ac, &RedisClient::on_login, nullptr, "AUTH %b", e.password.data(), e.password.size());
  if (e.db != 0) redisAsyncCommand(ac, &RedisClient::on_login, nullptr, "SELECT %d", e.db);

  signal_.expires_after(o_.connect_timeout);
  co_await signal_.async_wait(use_nothrow);
  if (connected_ && ac_) {
    connects_.fetch_add(1, std::memory_order_relaxed);
    co_return true;
  }
  if (ac_) {
    spdlog::warn("redis: no connection within connect_timeout");
    drop();
  }
  co_return false;
}

void RedisClient::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisClient*>(ac->data);
  if (!self) return;
  if (status != REDIS_OK) {
    spdlog::warn("redis: cannot connect: {}", ac->errstr ? ac->errstr : "error");
    self->ac_ = nullptr;  // hiredis frees the context after this callback
    self->adapter_.reset();
  } else {
    self->connected_ = true;
  }
  self->wake();
}

void RedisClient::on_disconnect(const redisAsyncContext* ac, int) {
  auto* self = static_cast<RedisClient*>(ac->data);
  if (!self) return;
  self->ac_ = nullptr;  // freed by hiredis after this callback
  self->connected_ = false;
  self->adapter_.reset();
  self->wake();
}

void RedisClient::on_login(redisAsyncContext* ac, void* r, void*) {
  auto* reply = static_cast<redisReply*>(r);
  if (reply && reply->type == REDIS_REPLY_ERROR) {
    spdlog::error("redis: login refused: {}", std::string_view(reply->str, reply->len));
    redisAsyncDisconnect(ac);
  }
}

void RedisClient::on_reply(redisAsyncContext*, void* r, void* privdata) {
  std::unique_ptr<std::shared_ptr<Pending>> holder(static_cast<std::shared_ptr<Pending>*>(privdata));
  auto& p = **holder;
  if (p.abandoned) return;
  p.done = true;
  if (auto* reply = static_cast<redisReply*>(r)) {
    p.result.reply = Reply::from(*reply);
    p.result.status = p.result.reply.type == Reply::Type::error ? Status::server_error : Status::ok;
  } else {
    p.result.status = Status::disconnected;
  }
  p.timer.cancel();
}

awaitable<Result> RedisClient::command(std::vector<std::string_view> args) {
  const Op op = args.empty() ? Op::other : op_of(args.front(), args.size());
  co_return co_await command(std::move(args), op);
}

awaitable<Result> RedisClient::command(std::vector<std::string_view> args, Op op) {
  auto self = shared_from_this();
  const auto now = std::chrono::steady_clock::now();
  if (breaker_.open(now)) {
    count_error(op);
    co_return Result{Status::breaker_open, {}};
  }
  if (!ac_ || !connected_) {
    count_error(op);
    co_return Result{Status::not_connected, {}};
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto pending = std::make_shared<Pending>(ex_);
  auto* holder = new std::shared_ptr<Pending>(pending);
  if (redisAsyncCommandArgv(ac_, &RedisClient::on_reply, holder, static_cast<int>(argv.size()), argv.data(),
                            lens.data()) != REDIS_OK) {
    delete holder;
    count_error(op);
    co_return Result{Status::disconnected, {}};
  }
  pending->timer.expires_after(o_.command_timeout);
  co_await pending->timer.async_wait(use_nothrow);
  if (!pending->done) {
    pending->abandoned = true;
    pending->result.status = Status::timeout;
  }
  const auto& res = pending->result;
  if (res.status == Status::ok || res.status == Status::server_error) {
    breaker_.success();
  } else if (breaker_.failure(std::chrono::steady_clock::now())) {
    spdlog::warn("redis: {} failures in a row ({}): not using Redis for {} ms", o_.breaker_threshold,
                 to_string(res.status), std::chrono::duration_cast<std::chrono::milliseconds>(o_.breaker_cool_down).count());
    drop();  // a stalled server holds every pending command: fail them now, reconnect later
    wake();
  }
  if (!res.ok()) count_error(op);
  co_return res;
}

}  // namespace corral::redis
