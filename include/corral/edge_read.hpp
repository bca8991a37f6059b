// A socket read that remembers when it emptied the socket, so that a read for the peer's reply to
// what was just written waits for the reactor instead of first trying a receive that the kernel can
// only answer with EAGAIN.
//
// Why: Asio's epoll reactor registers each socket edge-triggered and, when a read starts, tries the
// receive at once ("speculatively") unless the socket is marked exhausted; Asio 1.26's read marks it
// exhausted only at end of stream. So a gateway paid one receive failing with EAGAIN for every
// message it waited for: the client's next request after each answer, and the provider's answer
// after each request sent (two system calls a request, bench/syscalls). A short read on a stream
// socket means the receive queue was empty at that moment, and a byte that arrives later raises a
// new edge, which marks the socket readable again in the reactor. The op here reports a short read
// as "done and exhausted" (the status Asio's own send gives a short send), and the reactor then
// queues the next read without trying it first.
//
// The one thing a short read does not show is an end of stream queued behind the bytes it took:
// its edge came before the read, so no later edge announces it. A read in the middle of a message
// must see it (a provider that cuts a stream), so such a read, after a short one, still tries the
// receive once itself ("probes"), as Asio would have; only a read for a reply (`reply`) goes
// straight to the reactor. There the peer ends the stream either by a reset, which the request
// just written draws from a closed provider connection and which raises its own edge, or, for a
// client that half-closed behind its last request, by the keep-alive idle timeout (instead of at
// once). This is how nginx reads edge-triggered sockets (a short read clears the event's "ready").
//
// The op is built from Asio's reactor parts (asio::detail), whose shape is specific to the Asio
// version: it is used only where that version and the epoll reactor are those it was written
// against. Elsewhere, and for a read into empty buffers (which completes at once), the socket's own
// async_read_some is used and behaviour is Asio's.
#pragma once

#include <boost/asio/version.hpp>
#include <utility>

#include "corral/asio.hpp"

#if BOOST_ASIO_VERSION == 102600 && defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) && \
    !defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
#define CORRAL_EDGE_READ 1
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/buffer_sequence_adapter.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#else
#define CORRAL_EDGE_READ 0
#endif

namespace corral {

// What one socket's reads have left the reactor knowing; one per socket, beside it (and moved
// with it: a socket's reactor is that of the context it was made on, for as long as it lives).
struct EdgeReadState {
  bool last_short = false;  // the last read the reactor performed took fewer bytes than asked
#if CORRAL_EDGE_READ
  // The socket's reactor, looked up at its first read: Asio's lookup takes the context's service
  // registry lock and walks its list, which at two reads a request was a lock a request too many.
  boost::asio::detail::reactor* reactor = nullptr;
#endif
};

#if CORRAL_EDGE_READ
namespace edge_read_detail {

namespace ad = boost::asio::detail;

// The socket's reactor state, reached through basic_socket's protected member (a pointer to a
// member named through a derived class may be applied to the base).
struct SocketAccess : tcp::socket {
  static auto& implementation(tcp::socket& s) { return (s.*(&SocketAccess::impl_)).get_implementation(); }
};

template <class Buffers, class Handler, class IoExecutor>
class Op : public ad::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(Op);

  Op(ad::socket_type socket, const Buffers& buffers, EdgeReadState& state, Handler& handler, const IoExecutor& io_ex)
      : ad::reactor_op(error_code(), &Op::do_perform, &Op::do_complete),
        socket_(socket),
        buffers_(buffers),
        state_(&state),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(ad::reactor_op* base) {
    auto* o = static_cast<Op*>(base);
    using Adapter = ad::buffer_sequence_adapter<asio::mutable_buffer, Buffers>;
    std::size_t asked = 0;
    bool finished = false;
    if constexpr (Adapter::is_single_buffer) {  // recv, not recvmsg
      const asio::mutable_buffer b = Adapter::first(o->buffers_);
      asked = b.size();
      finished = ad::socket_ops::non_blocking_recv1(o->socket_, b.data(), b.size(), 0, true, o->ec_,
                                                   o->bytes_transferred_);
    } else {
      Adapter bufs(o->buffers_);
      asked = bufs.total_size();
      finished = ad::socket_ops::non_blocking_recv(o->socket_, bufs.buffers(), bufs.count(), 0, true, o->ec_,
                                                  o->bytes_transferred_);
    }
    if (!finished) return not_done;
    // Fewer bytes than asked (end of stream and errors included): the receive queue is empty.
    o->state_->last_short = o->bytes_transferred_ < asked;
    return o->state_->last_short ? done_and_exhausted : done;
  }

  static void do_complete(void* owner, ad::operation* base, const error_code&, std::size_t) {
    auto* o = static_cast<Op*>(base);
    ptr p = {std::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(std::move(o->work_));
    // The handler leaves the op's memory before the op is freed, and is called after.
    ad::binder2<Handler, error_code, std::size_t> handler(o->handler_, o->ec_, o->bytes_transferred_);
    p.h = std::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  ad::socket_type socket_;
  Buffers buffers_;
  EdgeReadState* state_;  // beside the socket, which outlives its pending reads
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// Asio's own note that a socket may hold something to read (its flag to try a read at once): set
// by each readable edge, hang-up or error the reactor takes from epoll, cleared when a read it
// performs empties the socket. Reached in the reactor's state for the socket (any_stream.cpp).
bool reactor_may_read(tcp::socket& socket) noexcept;
// A read or a look made outside the reactor found the socket empty: the note is cleared as the
// reactor's own read would clear it (what arrives later raises an edge that sets it again).
void reactor_found_empty(tcp::socket& socket) noexcept;

// Per-operation cancellation (a connected slot): the reactor completes the op as aborted.
class Cancellation {
 public:
  Cancellation(ad::reactor& r, ad::reactor::per_descriptor_data& d, ad::socket_type s)
      : reactor_(&r), data_(&d), socket_(s) {}
  void operator()(asio::cancellation_type type) {
    using T = asio::cancellation_type;
    if (!!(type & (T::terminal | T::partial | T::total)))
      reactor_->cancel_ops_by_key(socket_, *data_, ad::reactor::read_op, this);
  }

 private:
  ad::reactor* reactor_;
  ad::reactor::per_descriptor_data* data_;
  ad::socket_type socket_;
};

template <class Buffers, class Handler>
void start(tcp::socket& socket, const Buffers& buffers, EdgeReadState& state, bool reply, Handler& handler) {
  auto& impl = SocketAccess::implementation(socket);
  if (!state.reactor)
    state.reactor = &asio::use_service<ad::reactor>(asio::query(socket.get_executor(), asio::execution::context));
  BOOST_ASSERT(state.reactor ==
               &asio::use_service<ad::reactor>(asio::query(socket.get_executor(), asio::execution::context)));
  auto& reactor = *state.reactor;
  const bool continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
  using Operation = Op<Buffers, Handler, tcp::socket::executor_type>;
  typename Operation::ptr p = {std::addressof(handler), Operation::ptr::allocate(handler), nullptr};
  auto slot = asio::get_associated_cancellation_slot(handler);
  p.p = new (p.v) Operation(impl.socket_, buffers, state, handler, socket.get_executor());
  if (slot.is_connected())
    p.p->cancellation_key_ = &slot.template emplace<Cancellation>(reactor, impl.reactor_data_, impl.socket_);
  if (!(impl.state_ & ad::socket_ops::non_blocking) &&
      !ad::socket_ops::set_internal_non_blocking(impl.socket_, impl.state_, true, p.p->ec_)) {
    reactor.post_immediate_completion(p.p, continuation);
    p.v = p.p = nullptr;
    return;
  }
  if (state.last_short && !reply) {
    // The probe: what arrived since the last read (or an end of stream queued behind it). A probe
    // that empties the socket leaves it as a read of the reactor's would (the next read probes
    // again); one that fills its buffer leaves the next attempt to the reactor.
    const bool done = Operation::do_perform(p.p) != ad::reactor_op::not_done;
    if (done) {
      if (state.last_short) reactor_found_empty(socket);
      reactor.post_immediate_completion(p.p, continuation);
      p.v = p.p = nullptr;
      return;
    }
  }
  reactor.start_op(ad::reactor::read_op, impl.socket_, impl.reactor_data_, p.p, continuation, true);
  p.v = p.p = nullptr;
}

}  // namespace edge_read_detail
#endif

// socket.async_read_some(buffers, token), telling the reactor when a read emptied the socket.
// `reply`: the bytes awaited answer what was just written to the peer (see above).
template <class MutableBuffers, class Token>
auto async_edge_read(tcp::socket& socket, const MutableBuffers& buffers, EdgeReadState& state, bool reply,
                     Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::size_t)>(
      [&socket, &state, reply](auto handler, const MutableBuffers& b) {
#if CORRAL_EDGE_READ
        if (!boost::asio::detail::buffer_sequence_adapter<asio::mutable_buffer, MutableBuffers>::all_empty(b)) {
          edge_read_detail::start(socket, b, state, reply, handler);
          return;
        }
#endif
        (void)state;
        (void)reply;
        socket.async_read_some(b, std::move(handler));
      },
      token, buffers);
}

// A TCP socket read by the edge read, with the state its reads keep: the stream of a plain
// connection and the one under TLS (Asio's TLS stream reads and writes its next layer through the
// same calls as a socket's).
class EdgeSocket {
 public:
  using executor_type = tcp::socket::executor_type;
  using lowest_layer_type = tcp::socket::lowest_layer_type;

  explicit EdgeSocket(tcp::socket socket) : s_(std::move(socket)) {}

  executor_type get_executor() { return s_.get_executor(); }
  lowest_layer_type& lowest_layer() { return s_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return s_.lowest_layer(); }
  tcp::socket& socket() { return s_; }
  EdgeReadState& state() { return edge_; }

  // The next read awaits the peer's reply to what was just written (see above).
  void expect_reply() noexcept { reply_ = true; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          async_edge_read(s_, b, edge_, std::exchange(reply_, false), std::move(handler));
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return s_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  tcp::socket s_;
  EdgeReadState edge_;  // (a pending read points here: the socket is not moved while one is)
  bool reply_ = false;
};

}  // namespace corral
