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

std::span<asio::const_buffer> AnyStream::write_now(std::span<asio::const_buffer> parts, error_code& ec) {
  ec = {};
  auto* edge = std::get_if<EdgeSocket>(&s_);
  if (!edge) return parts;
  auto* plain = &edge->socket();
  if (!plain->non_blocking()) {
    plain->non_blocking(true, ec);
    if (ec) return ec = {}, parts;  // then all of it awaited
  }
  const auto n = plain->send(parts, 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  return ec ? parts : drop_written(parts, n);
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
