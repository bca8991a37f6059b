#include "admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include "admin/collect.hpp"
#include "corral/listener.hpp"
#include "observability/exposition.hpp"

namespace corral::admin {

AdminServer::AdminServer(Runtime& runtime, http_server::Server& server, Reloader& reloader)
    : runtime_(runtime), server_(server), reloader_(reloader) {}

AdminServer::~AdminServer() { stop(); }

std::optional<std::string> AdminServer::listen(const HostPort& at) {
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(at.host, ec), at.port);
  if (ec) return "admin.listen: " + ec.message();
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + to_string(ep) + " (admin.listen): " + ec.message();
  endpoint_ = acceptor_.local_endpoint();
  return std::nullopt;
}

void AdminServer::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
  asio::post(io_, [this] { redis_.refresh(runtime_.snapshot()->config); });  // connect Redis now
  thread_ = std::thread([this] { io_.run(); });
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    error_code ec;
    acceptor_.close(ec);
    redis_.stop();
    io_.stop();
  });
  thread_.join();
  io_.destroy_pending();  // open admin connections end here
}

awaitable<void> AdminServer::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      asio::steady_timer backoff(io_, std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_nothrow);
      continue;
    }
    if (connections_ >= kMaxConnections) continue;  // closed at once
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

awaitable<void> AdminServer::session(tcp::socket socket) {
  ++connections_;
  struct Count {
    std::size_t& n;
    ~Count() { --n; }
  } count{connections_};
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    stream.expires_after(kIoTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof) co_return;
    Reply reply;
    unsigned version = 11;
    bool keep_alive = false;  // after a malformed request: answer it, then close
    if (ec) {
      reply = error_reply(ec == http::error::body_limit ? Errc::body_too_large : Errc::bad_framing);
    } else {
      reply = co_await answer(parser.get());
      version = parser.get().version();
      keep_alive = parser.get().keep_alive();
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
    res.set(http::field::content_type, reply.content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(reply.body);  // a scrape's text is not copied again
    res.prepare_payload();
    res.keep_alive(keep_alive);
    stream.expires_after(kIoTimeout);
    auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
    if (wec || !keep_alive) co_return;
  }
}

awaitable<Reply> AdminServer::answer(const http::request<http::string_body>& req) {
  const auto target = req.target();
  const auto m = match(std::string_view(req.method_string().data(), req.method_string().size()),
                       std::string_view(target.data(), target.size()));
  if (m.error != Errc::ok) co_return error_reply(m.error);
  if (needs_token(m.route)) {
    const auto auth = req[http::field::authorization];
    if (auto refused = check_token(runtime_.snapshot()->config->admin, std::string_view(auth.data(), auth.size())))
      co_return *refused;
  }
  if (m.route == AdminRoute::metrics) co_return co_await metrics();
  if (m.route == AdminRoute::readyz) co_return co_await readiness();
  if (m.route == AdminRoute::usage || m.route == AdminRoute::tenant)
    if (auto shared = co_await shared_answer(m)) co_return std::move(*shared);
  co_return answer_now(m);
}

awaitable<std::optional<Reply>> AdminServer::shared_answer(const AdminMatch& m) {
  const auto snap = runtime_.snapshot();
  const auto& cfg = *snap->config;
  if (!cfg.redis) co_return std::nullopt;
  auto redis = redis_.client(snap->config);
  if (!redis) co_return std::nullopt;
  const auto wall = std::chrono::system_clock::now();
  if (m.route == AdminRoute::tenant) {
    const auto* t = cfg.find_tenant(m.tenant);
    if (!t) co_return std::nullopt;
    const auto month = limits::month_of_day(limits::utc_day(wall));
    auto shared = co_await limits::shared_status(*redis, limits::tenant_keys(cfg.redis->key_prefix, t->id),
                                                 t->rate_limits, month);
    if (!shared) co_return std::nullopt;  // Redis cannot be asked: this instance's view
    co_return tenant_detail(*snap, m.tenant, std::chrono::steady_clock::now(), wall, &*shared);
  }
  auto q = usage_query(*snap, m.query, wall);
  if (auto* refused = std::get_if<Reply>(&q)) co_return std::move(*refused);
  const auto& query = std::get<UsageQuery>(q);
  SharedRows rows(cfg.tenants.size());
  for (const auto& t : cfg.tenants) {
    if (query.only && query.only != &t) continue;
    rows[t.index] = co_await limits::shared_usage(*redis, limits::tenant_keys(cfg.redis->key_prefix, t.id),
                                                  query.from, query.to);
    if (!rows[t.index]) co_return std::nullopt;
  }
  co_return usage(*snap, query, &rows);
}

Reply AdminServer::answer_now(const AdminMatch& m) {
  const auto snap = runtime_.snapshot();
  const auto now = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now();
  switch (m.route) {
    case AdminRoute::healthz: return Reply{200, "text/plain; charset=utf-8", "ok\n"};
    case AdminRoute::reload: return reload_reply(reloader_.reload());  // file I/O on the admin thread
    case AdminRoute::tenants: return tenants_list(*snap, now, wall);
    case AdminRoute::tenant: return tenant_detail(*snap, m.tenant, now, wall);
    case AdminRoute::usage: return usage(*snap, m.query, wall);
    case AdminRoute::providers: return providers(*snap, now, wall);
    default: break;
  }
  return error_reply(Errc::not_found);
}

awaitable<Reply> AdminServer::metrics() {
  const auto samples = co_await collect(server_.workers(), kCollectTimeout, /*with_stats=*/true);
  const auto snap = runtime_.snapshot();
  SharedCounts counts{reloader_.succeeded(), reloader_.failed(),
                      observability::AccessLog::dropped(runtime_.log_pool()), server_.clients().total(),
                      server_.clients().refused(http_server::ClientConnections::Admit::over_total),
                      server_.clients().refused(http_server::ClientConnections::Admit::over_per_client),
                      runtime_.state_errors().load(std::memory_order_relaxed)};
  co_return Reply{200, "text/plain; version=0.0.4; charset=utf-8",
                  observability::render(build_scrape(samples, *snap, counts))};
}

// Ready: serving (not draining) with a configuration, and Redis reachable from every I/O thread
// when one is configured.
awaitable<Reply> AdminServer::readiness() {
  if (server_.draining()) co_return Reply{503, "text/plain; charset=utf-8", "draining\n"};
  const auto snap = runtime_.snapshot();
  if (snap->config->redis) {
    const auto samples = co_await collect(server_.workers(), kCollectTimeout, /*with_stats=*/false);
    bool up = samples.size() == server_.workers().size();
    for (const auto& s : samples) up = up && s.redis && s.redis_connected;
    if (!up) co_return Reply{503, "text/plain; charset=utf-8", "redis unreachable\n"};
  }
  co_return Reply{200, "text/plain; charset=utf-8", "ready\n"};
}

}  // namespace corral::admin
