#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include "corral/listener.hpp"
#include "http/client_session.hpp"
#include "http/upkeep.hpp"
#include "limits/shared_scripts.hpp"

namespace corral::http_server {
namespace {
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
}  // namespace

Server::Server(Runtime& runtime) : runtime_(runtime) {}

Server::~Server() {
  for (auto& w : workers_) w->io.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::optional<std::string> Server::listen() {
  const auto cfg = runtime_.snapshot()->config;
  const auto& s = cfg->server;
  if (s.tls) {
    tls_ = std::make_shared<ssl::context>(ssl::context::tls_server);
    error_code ec;
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | SSL_OP_NO_RENEGOTIATION);
    auto* native = tls_->native_handle();
    SSL_CTX_set_min_proto_version(native, s.tls->min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    // TLS 1.2: forward-secret AEAD suites only (TLS 1.3's are all of that kind).
    SSL_CTX_set_cipher_list(native, kTls12Ciphers);
    tls_->use_certificate_chain_file(s.tls->cert_file, ec);
    if (ec) return "server.tls.cert_file: " + ec.message();
    tls_->use_private_key_file(s.tls->key_file, ssl::context::pem, ec);
    if (ec) return "server.tls.key_file: " + ec.message();
  }
  error_code ec;
  tcp::endpoint at(asio::ip::make_address(s.listen.host, ec), s.listen.port);
  if (ec) return "server.listen: " + ec.message();
  for (unsigned i = 0; i < s.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(runtime_, i, clients_));
    chains_.push_back(std::make_unique<proxy::Chain>(*workers_.back()));
    auto acceptor = open_listener(workers_.back()->io, at, ec);
    if (ec) return "cannot listen on " + to_string(at) + " (server.listen): " + ec.message();
    if (i == 0) at = endpoint_ = acceptor.local_endpoint();  // port 0: the others join the chosen one
    acceptors_.push_back(std::move(acceptor));
  }
  return std::nullopt;
}

void Server::start() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto& w = *workers_[i];
    guards_.push_back(asio::make_work_guard(w.io));
    asio::co_spawn(w.io, accept_loop(w, acceptors_[i]), asio::detached);
    asio::co_spawn(w.io, local_upkeep(w), asio::detached);
    asio::co_spawn(w.io, redis_upkeep(w), asio::detached);
    asio::post(w.io, [this, &w] { w.cache.refresh(runtime_.snapshot()->config); });  // connect Redis now
    threads_.emplace_back([&w] { w.io.run(); });
  }
}

// A connection from an address that already holds server.max_connections_per_client: a 503 and
// the close. Written without waiting (the new socket's send buffer is empty); over TLS, where an
// answer would first cost a handshake, the connection is just closed.
void Server::refuse(tcp::socket socket, bool tls) {
  static const std::string kAnswer = [] {
    const auto body = error_body(Errc::overloaded, "Too many connections from this address; retry later.");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
           "Retry-After: 1\r\nretry-after-ms: 1000\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  error_code ec;
  if (!tls) {
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(kAnswer), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }
  socket.close(ec);
}

awaitable<void> Server::accept_loop(Worker& w, tcp::acceptor& acceptor) {
  asio::steady_timer backoff(w.io);
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      spdlog::warn("accept: {}", ec.message());  // e.g. out of file descriptors: back off
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    const auto snap = runtime_.snapshot();
    const auto& server = snap->config->server;
    auto peer = socket.remote_endpoint(ec);
    if (ec) continue;
    const auto admit = clients_.open(peer.address(), server.max_connections, server.max_connections_per_client);
    if (admit == ClientConnections::Admit::over_total) {
      socket.close(ec);
      continue;
    }
    if (admit == ClientConnections::Admit::over_per_client) {
      refuse(std::move(socket), tls_ != nullptr);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // Non-blocking from the start, by the one flag both Asio's reads and the client writer's
    // immediate writes look at: otherwise the first read sets Asio's own flag and the first write
    // the user's, each by a system call.
    socket.non_blocking(true, ec);
    auto stream = tls_ ? AnyStream(std::move(socket), *tls_) : AnyStream(std::move(socket));
    std::make_shared<ClientSession>(w, *chains_[w.index], std::move(stream), peer)->start();
  }
}

awaitable<void> Server::local_upkeep(Worker& w) {
  asio::steady_timer timer(w.io);
  while (!w.draining) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) break;
    w.pool.sweep(std::chrono::steady_clock::now());
    const auto snap = runtime_.snapshot();
    w.cache.refresh(snap->config);  // a reload may have changed the Redis settings
    w.log.hand_off();  // a quiet thread's lines reach the file within about a second
  }
}

// Each thread's traffic with Redis for limits and usage: every state.flush_interval, the settlements
// it owes and its usage batch. The first thread also renews this instance's presence every
// instance_ttl / 3 (redis.shared_limits): the live instances divide the providers' capacity, and
// the tenants' requests this instance holds stay held.
awaitable<void> Server::redis_upkeep(Worker& w) {
  asio::steady_timer timer(w.io);
  auto presence_due = std::chrono::steady_clock::now();
  bool first = true;
  while (!w.draining) {
    const auto snap = runtime_.snapshot();
    const auto& cfg = *snap->config;
    // Presence as soon as Redis answers (until then this instance counts itself alone).
    timer.expires_after(redis_upkeep_delay(cfg.redis.has_value(), first, cfg.state.flush_interval));
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec || w.draining || !cfg.redis) continue;
    auto redis = w.cache.client(snap->config);
    if (!redis) continue;
    first = false;
    co_await w.accounting.flush(*redis, cfg.redis->key_prefix, runtime_.instance_id(),
                                runtime_.instance_id() + ":" + std::to_string(w.index));
    if (w.index == 0 && cfg.redis->shared_limits && std::chrono::steady_clock::now() >= presence_due) {
      if (co_await renew_presence(*redis, *cfg.redis))
        presence_due = std::chrono::steady_clock::now() + cfg.redis->instance_ttl / 3;
      else
        first = true;  // not yet: again shortly
    }
  }
}

awaitable<bool> Server::renew_presence(redis::RedisClient& redis, const RedisConfig& cfg, bool leaving) {
  const auto& self = runtime_.instance_id();
  const auto key = cfg.key_prefix + ":instances";
  const auto ttl = std::to_string(leaving ? 0 : cfg.instance_ttl.count());
  std::vector<std::string_view> keys{key}, args{self, ttl};  // (vectors built before co_await: GCC 12)
  auto r = co_await redis::run(redis, limits::scripts::presence(), std::move(keys), std::move(args), redis::Op::limit);
  if (leaving || !r.ok() || r.reply.type != redis::Reply::Type::array) co_return r.ok();
  std::vector<std::string> live;
  for (const auto& e : r.reply.elements) live.push_back(e.str);
  std::sort(live.begin(), live.end());
  const auto rank = static_cast<std::size_t>(std::lower_bound(live.begin(), live.end(), self) - live.begin());
  if (rank == live.size() || live[rank] != self) live.insert(live.begin() + static_cast<std::ptrdiff_t>(rank), self);
  const auto before = runtime_.instance_share();
  runtime_.set_instance_share(rank, live.size());
  if (before.second != live.size()) spdlog::info("{} instances share the providers' capacity", live.size());
  for (const auto& tenant : runtime_.tenants_holding_shared())
    co_await limits::shared_heartbeat(redis, limits::tenant_keys(cfg.key_prefix, tenant), self);
  co_return true;
}

awaitable<void> Server::drain_worker(Worker& w, std::chrono::steady_clock::time_point deadline) {
  w.draining = true;
  error_code ec;
  acceptors_[w.index].close(ec);
  for (auto* s : std::vector<Drainable*>(w.sessions.begin(), w.sessions.end())) s->on_drain();
  asio::steady_timer poll(w.io);
  while (!w.sessions.empty() && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(std::chrono::milliseconds(20));
    co_await poll.async_wait(use_nothrow);
  }
  if (!w.sessions.empty()) spdlog::warn("drain: closing {} connections still busy", w.sessions.size());
  w.log.hand_off();
  // What is owed to Redis goes out before the connection closes (settlements in flight first).
  const auto snap = runtime_.snapshot();
  if (snap->config->redis) {
    if (auto redis = w.cache.client(snap->config)) {
      const auto settled_by = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (w.settling > 0 && std::chrono::steady_clock::now() < settled_by) {
        poll.expires_after(std::chrono::milliseconds(5));
        co_await poll.async_wait(use_nothrow);
      }
      const auto& rc = *snap->config->redis;
      if (!co_await w.accounting.flush(*redis, rc.key_prefix, runtime_.instance_id(),
                                       runtime_.instance_id() + ":" + std::to_string(w.index)))
        spdlog::warn("drain: usage or settlements not written to Redis ({} settlements owed)", w.accounting.owed());
      if (w.index == 0 && rc.shared_limits) co_await renew_presence(*redis, rc, /*leaving=*/true);
    }
  }
  w.cache.stop();
  guards_[w.index].reset();
  w.io.stop();
}

void Server::drain(Duration timeout) {
  draining_.store(true, std::memory_order_relaxed);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto& w : workers_) asio::co_spawn(w->io, drain_worker(*w, deadline), asio::detached);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace corral::http_server
