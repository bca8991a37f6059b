#include "upstream/relay.hpp"

#include <array>
#include <optional>

#include <spdlog/spdlog.h>

namespace corral::upstream {
namespace {

using Clock = std::chrono::steady_clock;
using Parser = http::response_parser<http::buffer_body>;
constexpr std::size_t kPieceBytes = 16 * 1024;
constexpr std::size_t kMaxUpstreamHead = 64 * 1024;

// Watches the client socket for a disconnect while the provider works: an orderly close or a
// reset aborts the upstream connection at once. `active` is cleared when the relay ends, so
// a late handler never touches the client stream.
struct ClientWatch {
  bool active = true;
  bool gone = false;
  std::weak_ptr<UpstreamConnection> upstream;
};

void watch_client(AnyStream& client, const std::shared_ptr<ClientWatch>& watch) {
  client.socket().async_wait(tcp::socket::wait_read, [watch, c = &client](const error_code& ec) {
    if (ec || !watch->active) return;
    if (!c->peer_closed()) return;  // pipelined bytes of the next request: not a disconnect
    watch->gone = true;
    if (auto u = watch->upstream.lock()) u->abort();
  });
}

bool retryable_on_reused(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

// Makes room under pool.max_connections: true when a new connection may be opened.
bool reserve_connection(ConnectionPool& pool, const ProviderConfig& p, ProviderState& state) {
  if (state.open_connections.load(std::memory_order_relaxed) < p.pool.max_connections) return true;
  return pool.evict_one(&state) &&
         state.open_connections.load(std::memory_order_relaxed) < p.pool.max_connections;
}

void build_client_head(const Parser& parser, const ForwardPlan& plan, bool draining, Clock::time_point relay_start,
                       http::response<http::buffer_body>& res) {
  const auto& up = parser.get();
  res.version(plan.client_version >= 11 ? 11 : 10);
  res.result(up.result_int());
  res.reason(up.reason());
  copy_response_fields(up.base(), res.base());
  for (const auto& [name, value] : plan.response_headers) res.set(name, value);
  if (plan.request_start != Clock::time_point{})  // corral's time: everything before the provider was asked
    res.set("x-corral-overhead-ms", format_millis(relay_start - plan.request_start));
  bool delimited = true;
  if (auto len = parser.content_length()) {
    res.content_length(*len);
  } else if (plan.client_version >= 11) {
    res.chunked(true);
  } else {
    delimited = false;  // HTTP/1.0 client: the end of the body is the end of the connection
  }
  res.keep_alive(plan.client_keep_alive && delimited && !draining);
}

}  // namespace

awaitable<RelayResult> relay(Worker& worker, ForwardPlan& plan, AnyStream& client,
                             Watchdog& client_deadline) {
  RelayResult out;
  const auto relay_start = Clock::now();
  const auto& provider = *plan.provider;
  auto& state = *plan.provider_runtime->state;
  auto watch = std::make_shared<ClientWatch>();
  struct EndWatch {
    ClientWatch& w;
    AnyStream& c;
    ~EndWatch() {
      w.active = false;
      c.cancel();  // ends the pending wait; no other operation is pending on the client here
    }
  } end_watch{*watch, client};
  watch_client(client, watch);

  std::shared_ptr<UpstreamConnection> conn = worker.pool.take(plan.pool_key, Clock::now());
  std::optional<Parser> parser;
  for (int attempt = 0;; ++attempt) {
    if (!conn) {
      if (!reserve_connection(worker.pool, provider, state)) {
        out.error = Errc::overloaded;
        out.detail = "provider " + provider.name + ": pool.max_connections reached";
        co_return out;
      }
      auto made = co_await connect(worker.dns, provider, *plan.provider_runtime);
      if (watch->gone) {
        out.client_gone = true;
        co_return out;
      }
      if (!made.connection) {
        out.error = made.error;
        out.detail = std::move(made.detail);
        co_return out;
      }
      conn = std::move(made.connection);
    }
    out.reused_connection = conn->requests_served > 0;
    watch->upstream = conn;
    conn->deadline(provider.first_byte_timeout);
    auto [wec, wn] = co_await http::async_write(conn->stream(), plan.request, use_nothrow);
    error_code ec = wec;
    parser.emplace();
    parser->header_limit(kMaxUpstreamHead);
    parser->body_limit(boost::none);  // relayed piece by piece, never held whole
    if (!ec) {
      auto [hec, hn] = co_await http::async_read_header(conn->stream(), conn->buffer(), *parser, use_nothrow);
      ec = hec;
    }
    if (!ec) break;
    if (watch->gone) {
      out.client_gone = true;
      co_return out;
    }
    // A kept-alive connection the provider closed just as it was reused: try once more on a
    // fresh one (nothing of this request was answered).
    if (attempt == 0 && out.reused_connection && !conn->timed_out() && retryable_on_reused(ec)) {
      conn.reset();
      continue;
    }
    out.error = conn->timed_out() ? Errc::upstream_timeout : Errc::upstream_error;
    out.detail = "provider " + provider.name + ": " + ec.message();
    co_return out;
  }

  // The head arrived. It goes to the client together with the first piece of the body (one
  // write instead of two), and the end of the message with the last piece.
  out.status = parser->get().result_int();
  http::response<http::buffer_body> res;
  build_client_head(*parser, plan, worker.draining, relay_start, res);
  http::response_serializer<http::buffer_body> sr{res};
  bool client_ok = true, upstream_ok = true;
  const bool sse = beast::iequals(res[http::field::content_type].substr(0, 17), "text/event-stream");
  limits::UsageTap tap({.sse = sse, .strip_usage_chunk = plan.strip_usage_chunk && sse && res.chunked()});
  std::array<char, kPieceBytes> piece{};
  bool capturing = plan.capture_limit > 0 && out.status == 200;
  do {
    std::size_t got = 0;
    if (!parser->is_done()) {
      auto& body = parser->get().body();
      body.data = piece.data();
      body.size = piece.size();
      conn->deadline(provider.stream_idle_timeout);
      auto [rec, rn] = co_await http::async_read_some(conn->stream(), conn->buffer(), *parser, use_nothrow);
      if (rec == http::error::need_buffer) rec = {};
      got = piece.size() - body.size;
      if (rec) {
        upstream_ok = false;
        out.detail = "provider " + provider.name +
                     (conn->timed_out() ? ": stream idle timeout" : ": " + rec.message());
      }
    }
    if (got == 0 && upstream_ok && !parser->is_done()) continue;  // framing bytes only: read on
    const bool last = upstream_ok && parser->is_done();
    if (got == 0 && !upstream_ok) break;  // cut: nothing left to send (a 502 if nothing was sent)
    if (capturing) {
      if (out.captured_body.size() + got > plan.capture_limit) {
        capturing = false;
        std::string().swap(out.captured_body);
      } else {
        out.captured_body.append(piece.data(), got);
      }
    }
    std::string_view send = tap.feed({piece.data(), got});
    std::string tail;
    if (last) {
      const auto rest = tap.finish();
      if (!rest.empty()) {
        tail.assign(send).append(rest);
        send = tail;
      }
    }
    if (send.empty() && !last) continue;  // held back: part of an event not yet complete
    res.body().data = send.empty() ? nullptr : const_cast<char*>(send.data());
    res.body().size = send.size();
    res.body().more = !last;
    client_deadline.arm(plan.client_write_timeout, [c = &client] { c->cancel(); });
    if (!out.response_started) out.first_byte_at = Clock::now();
    auto [cwec, cwn] = co_await http::async_write(client, sr, use_nothrow);
    if (cwec == http::error::need_buffer) cwec = {};
    client_ok = !cwec;
    out.response_started = true;
    out.body_bytes += send.size();
    if (last) break;
  } while (client_ok && upstream_ok);
  conn->clear_deadline();
  client_deadline.disarm();
  out.usage = tap.usage();
  out.client_gone = watch->gone || !client_ok;

  const bool complete = upstream_ok && parser->is_done() && !conn->aborted();
  if (capturing && complete) {
    out.captured = true;
    out.content_type = std::string(res[http::field::content_type]);
  } else {
    std::string().swap(out.captured_body);
  }
  if (complete && parser->get().keep_alive() && conn->buffer().size() == 0) {
    ++conn->requests_served;
    worker.pool.put(plan.pool_key, std::move(conn), Clock::now(), provider.pool.idle_ttl,
                    provider.pool.max_idle_per_pool);
  } else if (conn) {
    conn->abort();  // cut or unread: never reused
  }
  out.client_reusable = client_ok && complete && res.keep_alive();
  co_return out;
}

}  // namespace corral::upstream
