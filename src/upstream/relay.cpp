#include "upstream/relay.hpp"

#include <array>
#include <new>
#include <optional>

#include "upstream/answer_fields.hpp"
#include "upstream/answer_parser.hpp"
#include "upstream/read_buffer.hpp"
#include "upstream/upstream_connection.hpp"

namespace corral::upstream {
namespace {

using Clock = std::chrono::steady_clock;
// The parser of the answer and the piece its body is relayed through, the most relayed per read
// (as nginx's proxy buffers: a few pages), together in one block of the thread's read-buffer
// stack, held while the answer is relayed (once per open stream). Not in the relay's frame: Asio
// recycles coroutine frames of up to about 1 KiB per thread, and a frame holding them went to the
// heap, and back, at every request.
struct Scratch {
  std::optional<AnswerParser> parser;
  std::array<char, ReadBufferBlocks::kBlockBytes - sizeof(std::optional<AnswerParser>)> piece;  // not zeroed
};
static_assert(sizeof(Scratch) <= ReadBufferBlocks::kBlockBytes);

class ScratchBlock {
 public:
  ScratchBlock() : s_(new (ReadBufferBlocks::take(ReadBufferBlocks::kBlockBytes)) Scratch) {}
  ~ScratchBlock() {
    s_->~Scratch();
    ReadBufferBlocks::give(reinterpret_cast<char*>(s_), ReadBufferBlocks::kBlockBytes);
  }
  ScratchBlock(const ScratchBlock&) = delete;
  ScratchBlock& operator=(const ScratchBlock&) = delete;
  Scratch* operator->() const noexcept { return s_; }

 private:
  Scratch* s_;
};
constexpr std::size_t kMaxUpstreamHead = 64 * 1024;

// A kept-alive connection the provider gave up just as it was reused: closed or reset under the
// request, or a 408, the provider's answer to the connection's idle time sent before the request
// (or just as it arrived), not an answer to it. Nothing of the request was answered, and RFC 9110
// (15.5.9) lets a request a 408 answered be repeated. (The pool closes a connection on which such
// bytes were seen to arrive; this covers bytes that came as it was reused, which the reactor had
// not yet taken from epoll.)
bool gone_stale(const error_code& ec, const AnswerParser& parser, bool timed_out) {
  if (!ec) return parser.status() == 408;
  return !timed_out && (ec == http::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
}

// Makes room under pool.max_connections: true when a new connection may be opened.
bool reserve_connection(ConnectionPool& pool, const ProviderConfig& p, ProviderConnections& c) {
  if (c.open.load(std::memory_order_relaxed) < p.pool.max_connections) return true;
  return pool.evict_one(&c) && c.open.load(std::memory_order_relaxed) < p.pool.max_connections;
}

// What the cancellation handler reaches: a local of the relay's frame, valid while the handler is
// assigned (it is cleared before the relay returns).
struct Cancelled {
  bool gone = false;
  UpstreamConnection* connection = nullptr;
};

}  // namespace

awaitable<RelayResult> relay(ConnectionPool& pool, DnsCache& dns, UpstreamCall& call, ResponseSink& sink,
                             asio::cancellation_slot cancel) {
  RelayResult out;
  const auto& provider = *call.provider;
  Cancelled cancelled;
  struct Unassign {
    asio::cancellation_slot& slot;
    ~Unassign() {
      if (slot.is_connected()) slot.clear();
    }
  } unassign{cancel};
  if (cancel.is_connected())
    cancel.assign([&cancelled](asio::cancellation_type) {
      cancelled.gone = true;
      if (cancelled.connection) cancelled.connection->abort();
    });

  std::shared_ptr<UpstreamConnection> conn = pool.take(call.pool_key, Clock::now());
  if (conn) conn->unpark();
  const AnswerFields fields;  // outlives the parser, which fills it
  const ScratchBlock scratch;
  auto& parser = scratch->parser;
  for (int attempt = 0;; ++attempt) {
    if (!conn) {
      if (!reserve_connection(pool, provider, *call.connections)) {
        out.failure = RelayResult::Failure::pool_full;
        out.error = Errc::overloaded;
        out.detail = "provider " + provider.name + ": pool.max_connections reached";
        co_return out;
      }
      auto made = co_await connect(dns, provider, call.connections, call.tls);
      if (cancelled.gone) {
        out.client_gone = true;
        co_return out;
      }
      if (!made.connection) {
        out.failure = RelayResult::Failure::connect;
        out.error = made.error;
        out.detail = std::move(made.detail);
        co_return out;
      }
      conn = std::move(made.connection);
    }
    out.reused_connection = conn->requests_served > 0;
    cancelled.connection = conn.get();
    conn->deadline(provider.first_byte_timeout);
    auto request = call.request.buffers();
    error_code ec;
    const auto rest = conn->stream().write_now(request, ec);
    if (!ec && !rest.empty())
      std::tie(ec, std::ignore) = co_await asio::async_write(conn->stream(), rest, use_nothrow);
    parser.emplace(*fields);
    parser->header_limit(kMaxUpstreamHead);
    parser->body_limit(boost::none);  // relayed piece by piece, never held whole
    if (!ec && conn->buffer().size() == 0) conn->stream().expect_reply();  // the answer follows the request
    while (!ec && !parser->is_header_done()) {  // (Beast's async_read_header, step for step)
      if (parse_buffered(*parser, conn->buffer(), ec)) continue;
      const auto space = read_space(conn->buffer(), ec);
      if (ec) break;
      auto [rec, n] = co_await conn->stream().async_read_some(space, use_nothrow);
      if (!took_read(*parser, conn->buffer(), n, rec, ec)) break;
    }
    const bool stale =
        attempt == 0 && out.reused_connection && gone_stale(ec, *parser, conn->timed_out());
    if (!ec && !stale) break;
    if (cancelled.gone) {
      out.client_gone = true;
      co_return out;
    }
    if (stale) {  // once more, on a fresh connection
      cancelled.connection = nullptr;
      conn->abort();
      conn.reset();
      continue;
    }
    out.failure = conn->timed_out() ? RelayResult::Failure::head_timeout : RelayResult::Failure::head_error;
    out.error = conn->timed_out() ? Errc::upstream_timeout : Errc::upstream_error;
    out.detail = "provider " + provider.name + ": " + ec.message();
    co_return out;
  }

  // The head arrived: the sink sends it with the first piece of the body (one write instead of
  // two), and the end of the message with the last piece.
  out.status = parser->status();
  const auto length = parser->content_length();
  sink.start(out.status, parser->reason(), parser->fields(),
             length ? std::optional<std::uint64_t>(*length) : std::nullopt);
  // From here one put takes every step the buffered bytes allow (a chunk's header, its data and
  // the next chunks') until the piece is full, instead of one step a put.
  parser->eager(true);
  bool sink_ok = true, upstream_ok = true;
  error_code sink_error;
  auto& piece = scratch->piece;
  do {
    std::size_t got = 0;
    if (!parser->is_done()) {
      parser->body_into(piece.data(), piece.size());
      error_code rec;
      if (!parse_buffered(*parser, conn->buffer(), rec) && !rec) {  // (Beast's async_read_some)
        const auto space = read_space(conn->buffer(), rec);
        if (!rec) {
          // The idle timeout bounds the wait for the provider's next bytes; what was read already
          // is relayed without arming it again.
          conn->deadline(provider.stream_idle_timeout);
          auto [rrec, n] = co_await conn->stream().async_read_some(space, use_nothrow);
          if (took_read(*parser, conn->buffer(), n, rrec, rec)) parse_buffered(*parser, conn->buffer(), rec);
        }
      }
      if (rec == http::error::need_buffer) rec = {};
      got = piece.size() - parser->room();
      if (rec) {
        upstream_ok = false;
        out.detail = "provider " + provider.name +
                     (conn->timed_out() ? ": stream idle timeout" : ": " + rec.message());
      }
    }
    if (got == 0 && upstream_ok && !parser->is_done()) continue;  // framing bytes only: read on
    const bool last = upstream_ok && parser->is_done();
    if (got == 0 && !upstream_ok) break;  // cut: nothing left to send (a 502 if nothing was sent)
    if (!out.response_started) out.first_byte_at = Clock::now();
    out.response_started = true;
    sink_error = co_await sink.write({piece.data(), got}, last);
    sink_ok = !sink_error;
    if (last) break;
  } while (sink_ok && upstream_ok);
  conn->clear_deadline();
  out.refused = sink_error == Errc::upstream_error;
  out.client_gone = cancelled.gone || (!sink_ok && !out.refused);
  if (!upstream_ok && !out.response_started) {  // cut before any of the body
    out.failure = RelayResult::Failure::body;
    out.error = Errc::upstream_error;
  }

  out.complete = upstream_ok && sink_ok && parser->is_done() && !conn->aborted();
  cancelled.connection = nullptr;
  if (out.complete && parser->keep_alive() && conn->buffer().size() == 0) {
    ++conn->requests_served;
    conn->park();
    pool.put(call.pool_key, std::move(conn), Clock::now(), provider.pool.idle_ttl, provider.pool.max_idle_per_pool);
  } else if (conn) {
    conn->abort();  // cut or unread: never reused
  }
  co_return out;
}

}  // namespace corral::upstream
