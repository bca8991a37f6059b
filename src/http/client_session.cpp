#include "http/client_session.hpp"

#include <spdlog/spdlog.h>

#include "corral/listener.hpp"
#include "corral/request_id.hpp"
#include "http/framing.hpp"
#include "http/router.hpp"

namespace corral::http_server {
namespace {

constexpr std::size_t kReadChunk = 8 * 1024;
// Received bytes not yet parsed beyond a head: a chunk line with its extensions, a trailer section
// (RFC 9112 §7.1.1: bounded like the head), pipelined requests. Over it the body is refused.
constexpr std::size_t kUnparsedSlack = 64 * 1024;
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr Duration kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLoggedTextMax = 256;  // the path in the access log

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

ClientSession::ClientSession(Worker& worker, proxy::Chain& chain, AnyStream stream, tcp::endpoint peer)
    : worker_(worker),
      chain_(chain),
      stream_(std::move(stream)),
      peer_(std::move(peer)),
      peer_text_(peer_.address().to_string()),
      deadline_(stream_.get_executor()),
      writer_(stream_, deadline_, worker_.draining),
      watch_(stream_, worker_.watches) {
  worker_.sessions.insert(this);
}

ClientSession::~ClientSession() {
  worker_.sessions.erase(this);
  worker_.clients.close(peer_.address());  // counted when accepted
}

void ClientSession::start() {
  asio::co_spawn(stream_.get_executor(),
                 [self = shared_from_this()]() -> awaitable<void> { co_await self->run(); },
                 [](std::exception_ptr e) {
                   // The request path reports errors by code; an exception that escapes it ends
                   // this one connection (every hold it had is given back as its frames unwind)
                   // and is logged, never passed over.
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::error("connection ended by an unexpected exception: {}", ex.what());
                   } catch (...) {
                     spdlog::error("connection ended by an unexpected exception");
                   }
                 });
}

void ClientSession::on_drain() {
  if (idle_) stream_.cancel();  // waiting for a request: stop now; a busy one closes after it
}

awaitable<void> ClientSession::run() {
  auto snap = worker_.runtime.snapshot();
  if (auto* tls = stream_.tls()) {
    deadline_.arm(snap->config->server.header_timeout, [s = &stream_] { s->close(); });
    auto [ec] = co_await tls->async_handshake(ssl::stream_base::server, use_nothrow);
    deadline_.disarm();
    if (ec) co_return;
  }
  for (bool first = true;; first = false) {
    snap = worker_.runtime.snapshot();  // each request keeps the snapshot it started with
    if (worker_.draining || !co_await wait_for_request(*snap->config, first)) break;
    snap_ = snap;
    const After next = co_await serve_one(snap);
    finish_record(*snap);
    exchange_.reset();
    parser_.reset();
    request_.release_large();
    snap_.reset();
    if (next == After::linger) co_await linger();
    if (next != After::keep_alive) break;
  }
  stream_.close();
}

// Waits for the first byte of the next request (unless pipelined bytes are already here).
awaitable<bool> ClientSession::wait_for_request(const Config& cfg, bool first) {
  if (buffer_.size() > 0) co_return true;
  idle_ = true;
  deadline_.arm(first ? cfg.server.header_timeout : cfg.server.idle_timeout, [s = &stream_] { s->cancel(); });
  if (!first) stream_.expect_reply();  // the next request follows the answer just written
  auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), use_nothrow);
  deadline_.disarm();
  idle_ = false;
  buffer_.commit(n);
  co_return !ec && !worker_.draining;
}

awaitable<std::optional<ClientSession::After>> ClientSession::read_head(const ServerConfig& server,
                                                                          RequestParser& head) {
  buffer_.max_size(server.max_header_bytes + kUnparsedSlack);  // (prepare() never asks beyond it)
  deadline_.arm(server.header_timeout, [s = &stream_] { s->cancel(); });
  HeadScan scan;
  for (;;) {
    const auto* data = static_cast<const char*>(buffer_.data().data());
    scan = scan_head({data, buffer_.size()}, server.max_header_bytes);
    if (scan.state != HeadScan::State::need_more) break;
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), use_nothrow);
    buffer_.commit(n);
    if (ec) {
      if (deadline_.fired()) co_return co_await fail(Errc::request_timeout, After::close);
      co_return After::close;  // the client went away
    }
  }
  deadline_.disarm();
  if (scan.state == HeadScan::State::error) co_return co_await fail(scan.error, After::linger);

  head.header_limit(static_cast<std::uint32_t>(server.max_header_bytes + 1));
  head.body_limit(server.max_body_bytes);  // a declared Content-Length above it: 413
  head.eager(false);
  error_code pec;
  const auto parsed = parse_head(static_cast<char*>(buffer_.data().data()), scan.length, head, pec);
  buffer_.consume(scan.length);
  const auto& request = head.request();
  version_ = answer_version(request.version);
  rec_.method = http::to_string(request.method);
  rec_.path.assign(request.target.data(), std::min(request.target.size(), kLoggedTextMax));
  if (parsed == Errc::bad_framing)
    co_return co_await fail(parsed, After::linger, "Malformed HTTP request: " + pec.message());
  if (parsed != Errc::ok) co_return co_await fail(parsed, After::linger);
  keep_alive_ = head.keep_alive();
  co_return std::nullopt;
}

awaitable<std::optional<ClientSession::After>> ClientSession::read_body(const ServerConfig& server,
                                                                          RequestParser& parser) {
  parser.body_limit(server.max_body_bytes);
  error_code ec;
  while (!ec && parse_buffered(parser, buffer_, ec)) {}  // the bytes of the body already here
  bool timed_out = false;
  if (!ec && !parser.is_done()) {
    deadline_.arm(server.body_timeout, [s = &stream_] { s->cancel(); });
    while (!ec && !parser.is_done()) {  // (Beast's async_read, step for step)
      if (parse_buffered(parser, buffer_, ec)) continue;
      const auto space = read_space(buffer_, ec);
      if (ec) break;
      auto [rec, n] = co_await stream_.async_read_some(space, use_nothrow);
      if (!took_read(parser, buffer_, n, rec, ec)) break;
    }
    deadline_.disarm();
    timed_out = ec && deadline_.fired();
  }
  if (!ec) co_return std::nullopt;
  if (timed_out) co_return co_await fail(Errc::request_timeout, After::close);
  if (ec == http::error::body_limit) co_return co_await fail(Errc::body_too_large, After::linger);
  if (ec == http::error::buffer_overflow)  // a chunk line or the trailer section does not end
    co_return co_await fail(Errc::bad_framing, After::linger,
                            "Malformed request body: chunk extensions or trailer fields too long.");
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset)
    co_return After::close;
  co_return co_await fail(Errc::bad_framing, After::linger, "Malformed request body: " + ec.message());
}

awaitable<bool> ClientSession::send_continue(const ServerConfig& server) {
  http::response<http::empty_body> cont{http::status::continue_, kHttp11};
  deadline_.arm(server.body_timeout, [s = &stream_] { s->cancel(); });
  auto [ec, n] = co_await http::async_write(stream_, cont, use_nothrow);
  deadline_.disarm();
  co_return !ec;
}

awaitable<ClientSession::After> ClientSession::not_allowed(std::string_view allow, After next) {
  auto res = error(Errc::method_not_allowed, version_, request_id_, {}, {}, dialect_);
  res.set(http::field::allow, allow);
  rec_.error = Errc::method_not_allowed;
  co_return co_await send(std::move(res), next);
}

awaitable<ClientSession::After> ClientSession::serve_one(const SnapshotPtr& snap) {
  const Config& cfg = *snap->config;
  const auto& server = cfg.server;
  generate_request_id(request_id_);
  dialect_ = api::Dialect::openai;
  head_only_ = false;
  keep_alive_ = false;
  version_ = kHttp11;
  rec_.reset();
  rec_.start = std::chrono::steady_clock::now();
  rec_.wall = std::chrono::system_clock::now();

  // 1. The head, found in the raw bytes and checked before and after Beast parses it.
  auto& head = parser_.emplace(request_);
  if (auto answered = co_await read_head(server, head)) co_return *answered;
  const auto check = check_request(request_);
  if (check.error != Errc::ok) co_return co_await fail(check.error, After::linger, check.message);
  const auto& fields = request_.fields;
  if (auto rid = fields.value("x-request-id"); valid_request_id(rid)) request_id_ = rid;
  const bool has_body = head.chunked() || head.content_length().value_or(0) > 0;
  const After after_error = has_body ? After::linger : After::keep_alive;

  // 2. The route, then the tenant (before reading any body).
  const auto match = http_server::match(request_.method, check.path);
  if (match.error == Errc::method_not_allowed) co_return co_await not_allowed(match.allow, after_error);
  if (match.error != Errc::ok) co_return co_await fail(match.error, after_error);
  head_only_ = match.head;
  auto& x = exchange_;
  x.op = match.op;
  dialect_ = api::dialect_of(match.op);
  if (match.op != api::Operation::health) {
    const auto resolved = tenancy::resolve(
        cfg, {fields.value(http::field::authorization), fields.value("x-api-key"), fields.value("x-tenant-id"),
              fields.value("x-forwarded-for"), peer_.address()},
        &worker_.keys);
    if (resolved.error != Errc::ok) co_return co_await fail(resolved.error, after_error);
    x.tenant = resolved.tenant;
    x.tenant_state = &snap->tenant(*resolved.tenant);
    rec_.tenant = resolved.tenant->id;
  }
  if (!api::is_forwarded(match.op) && match.op != api::Operation::health && has_body)
    co_return co_await fail(Errc::invalid_request, After::linger, "This route takes no body.");

  // 3. The body of a forwarded request, bounded in size and time.
  if (api::is_forwarded(match.op)) {
    if (check.expect_continue && !co_await send_continue(server)) co_return After::close;
    if (auto answered = co_await read_body(server, head)) co_return *answered;
    rec_.bytes_in = request_.body.size();
  }

  // 4. The chain of stages.
  x.snap = snap;
  x.stage = chain_.configs(snap);
  x.fields = &request_.fields;
  x.body_text = &request_.body;
  x.version = version_;
  x.keep_alive = keep_alive_;
  x.request_id = request_id_;
  x.client = &writer_;
  x.client_gone = watch_.slot();
  x.client_left = watch_.gone();
  x.start = rec_.start;
  x.record = &rec_;
  co_return co_await run_chain(x);
}

awaitable<ClientSession::After> ClientSession::run_chain(proxy::Exchange& x) {
  writer_.begin(version_, keep_alive_, request_id_, &x.headers,
                x.config().server.body_timeout);
  const bool watch = api::is_forwarded(x.op);
  if (watch) watch_.start();  // one watch for the whole request: queue wait and relay alike
  co_await chain_.run(x);
  if (watch) watch_.stop();
  rec_.attempts = x.attempts;
  if (x.reply) co_return co_await reply(*x.reply, x.headers, x.after);
  if (writer_.committed())
    co_return writer_.reusable() && x.after == After::keep_alive ? After::keep_alive : After::close;
  co_return x.after == After::keep_alive ? After::close : x.after;  // nothing was answered
}

awaitable<ClientSession::After> ClientSession::reply(const proxy::Reply& r, const limits::HeaderList& headers,
                                                    After next) {
  auto res = r.error != Errc::ok ? error(r.error, version_, request_id_, r.message, r.param, dialect_)
                                 : (r.content_type == "application/json"
                                        ? json(r.status, r.body, version_, request_id_)
                                        : text(r.status, r.body, version_, request_id_));
  for (const auto& [n, v] : headers) res.set(n, v);
  rec_.error = r.error;
  co_return co_await send(std::move(res), next);
}

awaitable<ClientSession::After> ClientSession::send(http_server::Response res, After next) {
  const bool keep = next == After::keep_alive && keep_alive_ && !worker_.draining;
  res.keep_alive(keep);
  res.set("x-corral-overhead-ms", format_millis(std::chrono::steady_clock::now() - rec_.start));
  rec_.status = res.result_int();
  rec_.bytes_out = head_only_ ? 0 : res.body().size();
  const auto write_timeout = (snap_ ? snap_ : worker_.runtime.snapshot())->config->server.body_timeout;
  // HEAD: the head of the GET answer, Content-Length included, without the body.
  if (co_await writer_.send(res, head_only_, write_timeout)) co_return After::close;
  if (next == After::linger) co_return After::linger;
  co_return keep ? After::keep_alive : After::close;
}

awaitable<ClientSession::After> ClientSession::fail(Errc e, After next, std::string_view message,
                                                   std::string_view param) {
  rec_.error = e;
  co_return co_await send(error(e, version_, request_id_, message, param, dialect_), next);
}

void ClientSession::finish_record(const Snapshot& snap) {
  if (rec_.status == 0 && rec_.method.empty()) return;  // no request: the connection just ended
  if (rec_.status == 0) rec_.status = 499;              // the client left before an answer
  rec_.request_id = request_id_;
  rec_.total_s = seconds_between(rec_.start, std::chrono::steady_clock::now());
  worker_.stats.record(rec_);
  if (snap.access_log) snap.access_log->write(worker_.log, rec_, peer_text_);
}

// Closes after an error answered before the request was read to its end: stop sending, then
// read and discard what the client is still sending for a short while, so the kernel does not
// reset the connection before the client has read the answer.
awaitable<void> ClientSession::linger() {
  error_code ec;
  if (stream_.is_tls()) co_return;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  deadline_.arm(kLingerTime, [s = &stream_] { s->cancel(); });
  std::array<char, 8192> sink{};
  for (std::size_t total = 0; total < kLingerBytes;) {
    auto [rec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_nothrow);
    if (rec) break;
    total += n;
  }
  deadline_.disarm();
}

}  // namespace corral::http_server
