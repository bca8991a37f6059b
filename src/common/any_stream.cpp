#include "corral/any_stream.hpp"

#include <sys/socket.h>

namespace corral {

#if CORRAL_EDGE_READ
namespace edge_read_detail {
namespace {

// The reactor's state for a socket keeps its flags and their lock private; a pointer to a private
// member may be named in an explicit instantiation, and is handed out from there.
using Descriptor = ad::epoll_reactor::descriptor_state;
struct SpeculativeFlags {
  using type = bool (Descriptor::*)[ad::epoll_reactor::max_ops];
  friend type member(SpeculativeFlags);
};
struct DescriptorLock {
  using type = ad::conditionally_enabled_mutex Descriptor::*;
  friend type member(DescriptorLock);
};
template <class Tag, typename Tag::type M>
struct Expose {
  friend typename Tag::type member(Tag) { return M; }
};
template struct Expose<SpeculativeFlags, &Descriptor::try_speculative_>;
template struct Expose<DescriptorLock, &Descriptor::mutex_>;

bool& read_flag(Descriptor& d) {
  return (d.*member(SpeculativeFlags{}))[ad::epoll_reactor::read_op];
}
ad::conditionally_enabled_mutex& lock_of(Descriptor& d) {
  return d.*member(DescriptorLock{});
}

}  // namespace

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

bool AnyStream::quiet() noexcept {
  if (waiting() != Waiting::nothing) return false;
#if CORRAL_EDGE_READ
  if (auto* plain = std::get_if<tcp::socket>(&s_)) {
    edge_.last_short = true;
    edge_read_detail::reactor_found_empty(*plain);
  }
#endif
  return true;
}

AnyStream::Arrivals AnyStream::arrivals() noexcept {
#if CORRAL_EDGE_READ
  auto* plain = std::get_if<tcp::socket>(&s_);
  if (!plain || !edge_.last_short || !plain->is_open()) return Arrivals::unknown;
  return edge_read_detail::reactor_may_read(*plain) ? Arrivals::some : Arrivals::none;
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
  auto* plain = std::get_if<tcp::socket>(&s_);
  if (!plain) return parts;
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
