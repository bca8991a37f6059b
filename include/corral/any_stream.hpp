// A byte stream that is either plain TCP or TLS over TCP, chosen at run time, with the
// AsyncReadStream/AsyncWriteStream interface Beast needs. Used for client connections
// (server.tls) and upstream connections (http:// and https:// providers) alike.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>

#include "corral/asio.hpp"
#include "corral/edge_read.hpp"

namespace corral {

class AnyStream {
 public:
  using executor_type = asio::any_io_executor;
  using TlsStream = ssl::stream<EdgeSocket>;

  explicit AnyStream(tcp::socket socket) : s_(std::in_place_type<EdgeSocket>, std::move(socket)) {}
  AnyStream(tcp::socket socket, ssl::context& tls)
      : s_(std::in_place_type<TlsBox>, std::make_unique<TlsParts>(std::move(socket), tls)) {}

  executor_type get_executor() { return socket().get_executor(); }
  bool is_tls() const { return std::holds_alternative<TlsBox>(s_); }
  TlsStream* tls() {
    auto* box = std::get_if<TlsBox>(&s_);
    return box ? &(*box)->stream : nullptr;
  }

  tcp::socket& socket() { return edge().socket(); }

  // The next read awaits the peer's reply to what was just written (the client's next request
  // after an answer, the provider's answer after a request): its receive is queued for the
  // reactor without first trying one the kernel would answer with EAGAIN (edge_read.hpp). Over
  // TLS, so is the first receive of the TLS read, unless the TLS layers hold bytes it returns
  // or decrypts first.
  void expect_reply() noexcept {
    if (auto* plain = std::get_if<EdgeSocket>(&s_))
      plain->expect_reply();
    else
      tls_expect_reply();
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          with_stream([&](auto& s) { s.async_read_some(b, std::move(handler)); });
        },
        token, buffers);
  }

  // Over TLS, records write_now() made and the kernel did not take are written first.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (auto* box = std::get_if<TlsBox>(&s_); box && !(*box)->unsent.empty())
            asio::async_compose<decltype(handler), void(error_code, std::size_t)>(
                UnsentFirst<ConstBuffers>{*this, b}, handler, socket());
          else
            with_stream([&](auto& s) { s.async_write_some(b, std::move(handler)); });
        },
        token, buffers);
  }

  // Writes what the kernel takes at once, without waiting. Returns what is left to write
  // (`parts` less what was written; empty when all of it went); `ec` is set for a failure only,
  // not for a full send buffer. An awaited write that completes at once still costs a turn of the
  // scheduler (its completion is posted, and the reactor is polled before it runs); a coroutine
  // that writes here first goes on without one, and awaits only what is left.
  // Over TLS, the records made of what it takes are sent, and those the kernel does not take
  // whole are kept for the next awaited write, which sends them first. When it took all of
  // `parts` but kept records, what it returns is one empty buffer: the caller's awaited write of
  // it sends them. (Nothing is written here while a handshake or a write of the TLS stream is
  // under way: all of `parts` is left to the awaited write.)
  std::span<asio::const_buffer> write_now(std::span<asio::const_buffer> parts, error_code& ec);

  // Cancels pending operations; the connection stays open.
  void cancel() noexcept {
    error_code ignored;
    socket().cancel(ignored);
  }
  // Closes the socket at once (no TLS close_notify).
  void close() noexcept;
  // True when the peer has closed (or reset) the connection, without consuming data.
  // Pending data counts as "not closed".
  bool peer_closed() noexcept { return waiting() == Waiting::close; }
  // True when the connection is open with nothing waiting to be read: no bytes, no close (over
  // TLS, none held by the TLS layers either). An idle upstream connection that is not quiet cannot
  // carry a request: bytes the provider sent unasked would be read as the next request's answer.
  // (Found quiet, the socket counts as emptied by a read: see arrivals().)
  bool quiet() noexcept;

  // What reached the socket since a read last found it empty, as the reactor has seen it, without
  // a system call: nothing; something (bytes, a close or an error; or an edge a read had already
  // taken the bytes of; over TLS, also bytes a read took from the socket that the TLS layers still
  // hold); or unknown (a last read that filled its buffer, a closed socket, another Asio). An edge
  // the reactor has not yet taken from epoll is not seen.
  enum class Arrivals { none, some, unknown };
  Arrivals arrivals() noexcept;

 private:
  enum class Waiting { nothing, bytes, close, unknown };
  // What a read would find now, looked at without consuming it (one receive call, not waiting).
  Waiting waiting() noexcept;
  // The socket under either stream, and the state its reads keep.
  EdgeSocket& edge() {
    if (auto* plain = std::get_if<EdgeSocket>(&s_)) return *plain;
    return (*std::get_if<TlsBox>(&s_))->stream.next_layer();
  }
  // `f` called with the stream in use: the plain socket, or the TLS stream over it.
  template <class F>
  void with_stream(F&& f) {
    if (auto* plain = std::get_if<EdgeSocket>(&s_))
      f(*plain);
    else
      f((*std::get_if<TlsBox>(&s_))->stream);
  }
  void tls_expect_reply() noexcept;

  struct TlsParts {
    TlsParts(tcp::socket socket, ssl::context& tls) : stream(std::move(socket), tls) {}
    TlsStream stream;
    std::string unsent;  // records write_now() made that the kernel did not take
  };
  std::span<asio::const_buffer> tls_write_now(TlsParts& tls, std::span<asio::const_buffer> parts,
                                              error_code& ec);
  // While held, the TLS stream's own operations wait to write (as they wait for one another).
  void hold_tls_writes(bool held);

  // An awaited write over TLS when write_now() kept records: they are sent, then `buffers`.
  template <class ConstBuffers>
  struct UnsentFirst {
    AnyStream& s;
    ConstBuffers buffers;
    enum class Step { unsent, buffers, done } step = Step::unsent;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      auto& tls = *std::get<TlsBox>(s.s_);
      switch (step) {
        case Step::unsent:  // (write_now() holds the TLS stream's writes back until they are sent)
          step = Step::buffers;
          asio::async_write(tls.stream.next_layer(), asio::buffer(tls.unsent), std::move(self));
          return;
        case Step::buffers:
          s.hold_tls_writes(false);
          tls.unsent.clear();
          if (ec || asio::buffer_size(buffers) == 0) return self.complete(ec, 0);
          step = Step::done;
          tls.stream.async_write_some(buffers, std::move(self));
          return;
        case Step::done:
          self.complete(ec, n);
          return;
      }
    }
  };

  // A TLS stream is held apart (its engine and buffers take some 350 bytes more): a plain
  // connection's socket, read state and which of the two it is then share two cache lines, which
  // is all a request touches of the stream, and a pooled connection that waits costs that less.
  using TlsBox = std::unique_ptr<TlsParts>;
  std::variant<EdgeSocket, TlsBox> s_;
};

// `parts` less their first `n` bytes: the buffers still to write (the first one shortened in place).
inline std::span<asio::const_buffer> drop_written(std::span<asio::const_buffer> parts, std::size_t n) noexcept {
  std::size_t i = 0;
  while (i < parts.size() && n >= parts[i].size()) n -= parts[i++].size();
  parts = parts.subspan(i);
  if (!parts.empty()) parts[0] += n;
  return parts;
}

}  // namespace corral
