// Reads that tell the reactor when they emptied the socket (corral/edge_read.hpp), through
// AnyStream over loopback TCP: every byte arrives, a reply awaited after a short read still
// completes when it comes, an end of stream queued behind the last bytes is seen, and cancelling
// a queued read aborts it.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "corral/any_stream.hpp"

namespace corral {
namespace {

using namespace std::chrono_literals;

struct Pair {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  tcp::socket peer{io};
  std::optional<AnyStream> stream;

  Pair() {
    peer.connect(acceptor.local_endpoint());
    stream.emplace(acceptor.accept());
  }
};

struct ReadResult {
  bool done = false;
  error_code ec;
  std::size_t n = 0;
};

// Starts a read of up to buf.size() bytes on the pair's stream into `buf`.
template <std::size_t N>
void start_read(Pair& p, std::array<char, N>& buf, ReadResult& r) {
  r = {};
  p.stream->async_read_some(asio::buffer(buf), [&r](error_code ec, std::size_t n) {
    r.done = true;
    r.ec = ec;
    r.n = n;
  });
}

// Runs the pair's context until the read finished or two seconds went by.
bool finish(Pair& p, const ReadResult& r) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  p.io.restart();
  while (!r.done && std::chrono::steady_clock::now() < deadline) p.io.run_one_for(50ms);
  return r.done;
}

// The peer sends `text` and the stream reads once: what it read.
template <std::size_t N>
std::string sent_and_read(Pair& p, std::array<char, N>& buf, ReadResult& r, const std::string& text) {
  asio::write(p.peer, asio::buffer(text));
  start_read(p, buf, r);
  if (!finish(p, r) || r.ec) return "(no read)";
  return std::string(buf.data(), r.n);
}

TEST(EdgeRead, RepliesAwaitedAfterShortReadsAllArrive) {
  Pair p;
  std::array<char, 64> buf{};
  ReadResult r;
  for (int i = 0; i < 500; ++i) {
    const std::string msg = "message " + std::to_string(i);
    if (i > 0) p.stream->expect_reply();  // as after an answer: the read is queued untried
    start_read(p, buf, r);
    p.io.restart();
    p.io.poll();  // the read is under way before the bytes are sent
    EXPECT_FALSE(r.done);
    asio::write(p.peer, asio::buffer(msg));
    ASSERT_TRUE(finish(p, r)) << i;
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(std::string(buf.data(), r.n), msg);
  }
}

TEST(EdgeRead, BytesSentBeforeTheReplyIsAwaitedAreRead) {
  Pair p;
  std::array<char, 64> buf{};
  ReadResult r;
  EXPECT_EQ(sent_and_read(p, buf, r, "first"), "first");  // short: the socket is marked empty
  asio::write(p.peer, asio::buffer(std::string("second")));  // arrives before the next read starts
  p.stream->expect_reply();
  start_read(p, buf, r);
  ASSERT_TRUE(finish(p, r));
  EXPECT_EQ(std::string(buf.data(), r.n), "second");
}

TEST(EdgeRead, AFullReadIsFollowedByTheRest) {
  Pair p;
  std::array<char, 8> buf{};
  ReadResult r;
  asio::write(p.peer, asio::buffer(std::string("0123456789abcdef-tail")));
  std::string got;
  while (got.size() < 21) {
    start_read(p, buf, r);
    ASSERT_TRUE(finish(p, r)) << got;
    ASSERT_FALSE(r.ec);
    got.append(buf.data(), r.n);
  }
  EXPECT_EQ(got, "0123456789abcdef-tail");
}

TEST(EdgeRead, AnEndOfStreamQueuedBehindTheLastBytesIsSeen) {
  for (const bool reset : {false, true}) {
    Pair p;
    std::array<char, 64> buf{};
    ReadResult r;
    start_read(p, buf, r);  // waiting in the reactor when both come
    p.io.restart();
    p.io.poll();
    ASSERT_FALSE(r.done);
    asio::write(p.peer, asio::buffer(std::string("last bytes")));
    if (reset) {
      p.peer.set_option(asio::socket_base::linger(true, 0));
      p.peer.close();  // a reset
    } else {
      p.peer.shutdown(tcp::socket::shutdown_send);  // the end of stream arrives with the bytes
    }
    // Both are in before the reactor next waits, so one edge announces them; the first read's short
    // read marks the socket empty, and the read in the middle of the message after it must still
    // see how the stream ended.
    ASSERT_TRUE(finish(p, r));
    if (!r.ec) {
      EXPECT_EQ(std::string(buf.data(), r.n), "last bytes");
      start_read(p, buf, r);
      ASSERT_TRUE(finish(p, r)) << "the end of the stream was not seen (reset " << reset << ")";
    }
    EXPECT_TRUE(r.ec == asio::error::eof || r.ec == asio::error::connection_reset) << r.ec.message();
  }
}

TEST(EdgeRead, AnEndOfStreamAfterAShortReadRaisesItsOwnEdge) {
  Pair p;
  std::array<char, 64> buf{};
  ReadResult r;
  EXPECT_EQ(sent_and_read(p, buf, r, "answer"), "answer");
  p.stream->expect_reply();
  start_read(p, buf, r);
  p.io.restart();
  p.io.poll();
  EXPECT_FALSE(r.done);
  p.peer.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(finish(p, r));
  EXPECT_EQ(r.ec, asio::error::eof);
}

// Starts a read for a reply (queued untried after the short read before it), checks that it
// waits, calls `cancel` and checks that the read ends aborted.
template <class Start, class Cancel>
void expect_aborted(Pair& p, ReadResult& r, Start start, Cancel cancel) {
  p.stream->expect_reply();
  start();
  p.io.restart();
  p.io.poll();
  ASSERT_FALSE(r.done);
  cancel();
  ASSERT_TRUE(finish(p, r));
  EXPECT_EQ(r.ec, asio::error::operation_aborted);
}

TEST(EdgeRead, CancellingAQueuedReadAbortsIt) {
  Pair p;
  std::array<char, 64> buf{};
  ReadResult r;
  EXPECT_EQ(sent_and_read(p, buf, r, "x"), "x");

  // By the stream.
  expect_aborted(p, r, [&] { start_read(p, buf, r); }, [&] { p.stream->cancel(); });

  // By a per-operation cancellation slot.
  asio::cancellation_signal signal;
  expect_aborted(
      p, r,
      [&] {
        r = {};
        p.stream->async_read_some(asio::buffer(buf),
                                  asio::bind_cancellation_slot(signal.slot(), [&r](error_code ec, std::size_t n) {
                                    r.done = true;
                                    r.ec = ec;
                                    r.n = n;
                                  }));
      },
      [&] { signal.emit(asio::cancellation_type::terminal); });

  EXPECT_EQ(sent_and_read(p, buf, r, "after"), "after");  // the socket still reads after both
}

// Each stream reads through its own context's reactor (remembered at its first read), also
// after it was moved and with reads of a stream on another context in between.
TEST(EdgeRead, StreamsOnTwoContextsEachReadThroughTheirOwnReactor) {
  Pair a, b;
  std::array<char, 64> buf{};
  ReadResult r;
  EXPECT_EQ(sent_and_read(a, buf, r, "a1"), "a1");
  EXPECT_EQ(sent_and_read(b, buf, r, "b1"), "b1");
  {  // moved with what its reads learnt
    AnyStream moved(std::move(*b.stream));
    b.stream.reset();
    b.stream.emplace(std::move(moved));
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sent_and_read(a, buf, r, "a" + std::to_string(i)), "a" + std::to_string(i));
    b.stream->expect_reply();  // queued for the reactor untried: only b's own reactor completes it
    start_read(b, buf, r);
    a.io.restart();
    a.io.poll();
    asio::write(b.peer, asio::buffer(std::string("b") + std::to_string(i)));
    ASSERT_TRUE(finish(b, r)) << i;
    EXPECT_EQ(std::string(buf.data(), r.n), "b" + std::to_string(i));
  }
}

// Runs the pair's context until the stream's arrivals are `want` or two seconds went by: the
// reactor takes an edge from epoll when it next runs.
bool arrivals_become(Pair& p, AnyStream::Arrivals want) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  p.io.restart();
  const auto busy = asio::make_work_guard(p.io);  // (a context out of work does not poll)
  while (p.stream->arrivals() != want && std::chrono::steady_clock::now() < deadline)
    p.io.run_one_for(10ms);
  return p.stream->arrivals() == want;
}

TEST(EdgeRead, TheReactorTellsWhatArrivedAfterAReadEmptiedTheSocket) {
  if (!CORRAL_EDGE_READ) GTEST_SKIP() << "reads through Asio's own operations here";
  using A = AnyStream::Arrivals;
  Pair p;
  std::array<char, 8> buf{};
  ReadResult r;
  EXPECT_EQ(p.stream->arrivals(), A::unknown);  // no read has found it empty yet
  EXPECT_EQ(sent_and_read(p, buf, r, "answer"), "answer");
  EXPECT_EQ(p.stream->arrivals(), A::none);

  // Bytes sent unasked: seen once the reactor has taken their edge, and still there to be found.
  asio::write(p.peer, asio::buffer(std::string("stray")));
  ASSERT_TRUE(arrivals_become(p, A::some));
  EXPECT_FALSE(p.stream->quiet());
  EXPECT_EQ(sent_and_read(p, buf, r, ""), "stray");  // read: empty again
  EXPECT_EQ(p.stream->arrivals(), A::none);

  // A read that fills its buffer cannot tell whether more is waiting.
  EXPECT_EQ(sent_and_read(p, buf, r, "12345678"), "12345678");
  EXPECT_EQ(p.stream->arrivals(), A::unknown);
  // Found quiet by a look, the socket counts as emptied.
  EXPECT_TRUE(p.stream->quiet());
  EXPECT_EQ(p.stream->arrivals(), A::none);

  // A close is an arrival too.
  p.peer.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(arrivals_become(p, A::some));
  EXPECT_FALSE(p.stream->quiet());
}

}  // namespace
}  // namespace corral
