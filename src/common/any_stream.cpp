#include "corral/any_stream.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

namespace corral {
namespace {

// A pointer to a private member may be named in an explicit instantiation, and is handed out
// from there: how the reactor's and the TLS stream's private state below is reached.
template <class Tag, typename Tag::type M>
struct Expose {
  friend typename Tag::type member(Tag) { return M; }
};

// The TLS stream's state: the ciphertext it read from the socket and has not yet given OpenSSL.
struct TlsCore {
  using type = ssl::detail::stream_core AnyStream::TlsStream::*;
  friend type member(TlsCore);
};
template struct Expose<TlsCore, &AnyStream::TlsStream::core_>;

// Bytes a TLS read would return, or decrypt, before it reads the socket again: ciphertext Asio
// holds for OpenSSL, records OpenSSL has not read yet, and what it decrypted and has not returned.
bool tls_holds_input(AnyStream::TlsStream& t) noexcept {
  SSL* s = t.native_handle();
  return (t.*member(TlsCore{})).input_.size() != 0 || BIO_ctrl_pending(SSL_get_rbio(s)) != 0 ||
         SSL_has_pending(s) != 0;
}

#if CORRAL_EDGE_READ

namespace ad = edge_read_detail::ad;
// The reactor's state for a socket keeps its flags and their lock private.
using Descriptor = ad::epoll_reactor::descriptor_state;
struct SpeculativeFlags {
  using type = bool (Descriptor::*)[ad::epoll_reactor::max_ops];
  friend type member(SpeculativeFlags);
};
struct DescriptorLock {
  using type = ad::conditionally_enabled_mutex Descriptor::*;
  friend type member(DescriptorLock);
};
template struct Expose<SpeculativeFlags, &Descriptor::try_speculative_>;
template struct Expose<DescriptorLock, &Descriptor::mutex_>;

bool& read_flag(Descriptor& d) {
  return (d.*member(SpeculativeFlags{}))[ad::epoll_reactor::read_op];
}
ad::conditionally_enabled_mutex& lock_of(Descriptor& d) {
  return d.*member(DescriptorLock{});
}

#endif

}  // namespace

#if CORRAL_EDGE_READ
namespace edge_read_detail {

bool reactor_may_read(tcp::socket& socket) noexcept {
  auto* d = SocketAccess::implementation(socket).reactor_data_;
  if (!d) return true;  // not registered with the reactor: nothing is known
  ad::conditionally_enabled_mutex::scoped_lock lock(lock_of(*d));
  return read_flag(*d);
}

void reactor_found_empty(tcp::socket& socket) noexcept {
  auto* d = SocketAccess::implementation(socket).reactor_data_;
  if (!d) return;
  ad::conditionally_enabled_mutex::scoped_lock lock(lock_of(*d));
  read_flag(*d) = false;
}

}  // namespace edge_read_detail
#endif

void AnyStream::tls_expect_reply() noexcept {
  auto& t = *tls();
  if (!tls_holds_input(t)) t.next_layer().expect_reply();
}

bool AnyStream::quiet() noexcept {
  auto* t = tls();
  if (t && tls_holds_input(*t)) return false;
  if (waiting() != Waiting::nothing) return false;
#if CORRAL_EDGE_READ
  edge().state().last_short = true;
  edge_read_detail::reactor_found_empty(socket());
#endif
  return true;
}

AnyStream::Arrivals AnyStream::arrivals() noexcept {
#if CORRAL_EDGE_READ
  if (!edge().state().last_short || !socket().is_open()) return Arrivals::unknown;
  // Over TLS, bytes its reads took from the socket that the TLS layers still hold have arrived too.
  auto* t = tls();
  if (t && tls_holds_input(*t)) return Arrivals::some;
  return edge_read_detail::reactor_may_read(socket()) ? Arrivals::some : Arrivals::none;
#else
  return Arrivals::unknown;
#endif
}

void AnyStream::close() noexcept {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

namespace {

// Puts the socket in non-blocking mode for sends made here; false if that failed.
bool sends_without_waiting(tcp::socket& s) {
  if (s.non_blocking()) return true;
  error_code ec;
  s.non_blocking(true, ec);
  return !ec;
}

bool full(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

std::span<asio::const_buffer> AnyStream::write_now(std::span<asio::const_buffer> parts, error_code& ec) {
  ec = {};
  if (auto* box = std::get_if<TlsBox>(&s_)) return tls_write_now(**box, parts, ec);
  auto& plain = std::get<EdgeSocket>(s_).socket();
  if (!sends_without_waiting(plain)) return parts;  // then all of it awaited
  const auto n = plain.send(parts, 0, ec);
  if (full(ec)) ec = {};
  return ec ? parts : drop_written(parts, n);
}

std::span<asio::const_buffer> AnyStream::tls_write_now(TlsParts& tls,
                                                       std::span<asio::const_buffer> parts,
                                                       error_code& ec) {
  using Engine = ssl::detail::engine;
  auto& core = tls.stream.*member(TlsCore{});
  auto& plain = tls.stream.next_layer().socket();
  // Behind records kept from before, a handshake, or a write of the TLS stream's own (its reads
  // write too, alerts and key updates), all of it is awaited.
  if (!tls.unsent.empty() || !SSL_is_init_finished(tls.stream.native_handle()) ||
      core.expiry(core.pending_write_) != core.neg_infin() || !sends_without_waiting(plain))
    return parts;
  const auto all = parts;
  for (;;) {
    // Records of as many parts as the engine takes whole (a part beyond a record's size is
    // taken a record at a time; a full engine takes nothing), to go out in one send.
    bool more = false;  // a part was taken in part: send, then go on
    bool took = false;
    while (!parts.empty()) {
      if (parts[0].size() == 0) {
        parts = parts.subspan(1);
        continue;
      }
      std::size_t taken = 0;
      const auto want = core.engine_.write(parts[0], ec, taken);
      if (ec) return parts;
      took = took || taken != 0;
      const bool whole = taken == parts[0].size();
      parts = drop_written(parts, taken);
      if (whole) continue;
      // Taking nothing, the engine wants input (a renegotiation: left to the awaited write) or
      // has output to give first.
      more = taken != 0 || want == Engine::want_output_and_retry;
      break;
    }
    // The records made, and any output the engine held before them, in order; what the kernel
    // does not take is kept, with all that follows it.
    bool sent_some = false;
    for (auto out = core.engine_.get_output(core.output_buffer_); out.size() != 0;
         out = core.engine_.get_output(core.output_buffer_)) {
      const auto* bytes = static_cast<const char*>(out.data());
      if (!tls.unsent.empty()) {
        tls.unsent.append(bytes, out.size());
        continue;
      }
      error_code sent_ec;
      const auto sent = plain.send(asio::buffer(out), 0, sent_ec);
      if (sent_ec && !full(sent_ec)) {
        ec = sent_ec;
        return parts;
      }
      sent_some = true;
      if (sent < out.size()) tls.unsent.assign(bytes + sent, out.size() - sent);
    }
    if (!tls.unsent.empty() || !more || !(took || sent_some)) break;
  }
  if (tls.unsent.empty()) return parts;
  // The records kept go out before anything the TLS stream's own operations write (its reads'
  // alerts and key updates come after them): those wait until the awaited write has sent them.
  hold_tls_writes(true);
  if (!parts.empty()) return parts;
  // All of it taken: one empty buffer (at the end of the last), for the caller to await.
  auto& last = all.back();
  last = asio::const_buffer(static_cast<const char*>(last.data()) + last.size(), 0);
  return all.last(1);
}

void AnyStream::hold_tls_writes(bool held) {
  auto& core = tls()->*member(TlsCore{});
  // (Asio's own operations mark a write under way the same way; setting the expiry releases
  // those waiting.)
  core.pending_write_.expires_at(held ? core.pos_infin() : core.neg_infin());
}

AnyStream::Waiting AnyStream::waiting() noexcept {
  auto& s = socket();
  if (!s.is_open()) return Waiting::close;
  char byte;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Waiting::bytes;
  if (n == 0) return Waiting::close;  // orderly close
  if (errno == EAGAIN || errno == EWOULDBLOCK) return Waiting::nothing;
  return errno == EINTR ? Waiting::unknown : Waiting::close;  // reset or other error
}

}  // namespace corral
