// An idle TLS connection tells what reached it since its last read, as plain TCP does
// (AnyStream::arrivals() and quiet(); plain TCP is covered with the edge read in
// edge_read_test.cpp): from the reactor's flag for its socket and from what the TLS layers
// already hold, without a system call. And write_now() sends TLS records at once, keeping those
// the kernel did not take for the awaited write (plain TCP's is covered in asio_test.cpp).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "corral/any_stream.hpp"

namespace corral {
namespace {

using namespace std::chrono_literals;

// A self-signed certificate and its key, made here, for the server side of the pair.
void use_self_signed(ssl::context& ctx) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  ASSERT_TRUE(key && cert);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.native_handle(), cert.get()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get()), 1);
}

// corral's side of a TLS connection (`stream`, a client, as to a provider) and the provider's
// (`peer`, written to synchronously), handshaken.
struct TlsPair {
  asio::io_context io;
  ssl::context server_tls{ssl::context::tls_server};
  ssl::context client_tls{ssl::context::tls_client};  // (verifies nothing: not what is tested)
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::optional<ssl::stream<tcp::socket>> peer;
  std::optional<AnyStream> stream;

  // Runs the context until `done` holds or two seconds went by.
  template <class Done>
  bool run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    io.restart();
    const auto busy = asio::make_work_guard(io);  // (a context out of work does not poll)
    while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(10ms);
    return done();
  }

  bool handshake() {
    use_self_signed(server_tls);
    tcp::socket s(io);
    s.connect(acceptor.local_endpoint());
    peer.emplace(acceptor.accept(), server_tls);
    stream.emplace(std::move(s), client_tls);
    int done = 0;
    error_code failed;
    const auto handshaken = [&](error_code ec) {
      ++done;
      if (ec) failed = ec;
    };
    peer->async_handshake(ssl::stream_base::server, handshaken);
    stream->tls()->async_handshake(ssl::stream_base::client, handshaken);
    return run_until([&] { return done == 2; }) && !failed;
  }

  // Reads up to `buf.size()` bytes on corral's side, as a provider's answer is read after a
  // request: the read awaits a reply, and is under way before `records` are sent, one TLS record
  // each, in one segment. Returns what it read.
  template <std::size_t N>
  std::string reply(std::array<char, N>& buf, std::initializer_list<std::string> records) {
    if (records.size() != 0) stream->expect_reply();
    bool done = false;
    std::size_t got = 0;
    error_code failed;
    stream->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t n) {
      done = true;
      failed = ec;
      got = n;
    });
    io.restart();
    io.poll();
    const int fd = peer->next_layer().native_handle(), on = 1, off = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    for (const auto& r : records) asio::write(*peer, asio::buffer(r));
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    if (!run_until([&] { return done; }) || failed) return "(no read)";
    return std::string(buf.data(), got);
  }
  // The next read, of what already came.
  template <std::size_t N>
  std::string next(std::array<char, N>& buf) {
    return reply(buf, {});
  }
};

TEST(AnyStreamTls, TheReactorAndTheTlsLayersTellWhatArrivedSinceTheLastRead) {
  if (!CORRAL_EDGE_READ) GTEST_SKIP() << "reads through Asio's own operations here";
  using A = AnyStream::Arrivals;
  TlsPair p;
  ASSERT_TRUE(p.handshake());
  std::array<char, 6> buf{};
  EXPECT_EQ(p.reply(buf, {"answer"}), "answer");
  EXPECT_EQ(p.stream->arrivals(), A::none);
  EXPECT_TRUE(p.stream->quiet());

  // A record sent unasked: seen once the reactor has taken its edge.
  asio::write(*p.peer, asio::buffer(std::string("stray")));
  ASSERT_TRUE(p.run_until([&] { return p.stream->arrivals() == A::some; }));
  EXPECT_FALSE(p.stream->quiet());
  EXPECT_EQ(p.next(buf), "stray");
  EXPECT_EQ(p.reply(buf, {"answer"}), "answer");
  EXPECT_EQ(p.stream->arrivals(), A::none);

  // Two records that came in one segment, read one at a time: the socket is empty and its flag
  // clear, but the second record, held by the TLS layers, has arrived.
  EXPECT_EQ(p.reply(buf, {"first!", "second"}), "first!");
  EXPECT_EQ(p.stream->arrivals(), A::some);
  EXPECT_FALSE(p.stream->quiet());
  EXPECT_EQ(p.next(buf), "second");
  EXPECT_EQ(p.stream->arrivals(), A::none);
  EXPECT_TRUE(p.stream->quiet());

  // A close is an arrival too.
  p.peer->next_layer().shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(p.run_until([&] { return p.stream->arrivals() == A::some; }));
  EXPECT_FALSE(p.stream->quiet());
}

TEST(AnyStreamTls, WriteNowSendsTheRecordsOfWhatItTakesAtOnce) {
  TlsPair p;
  ASSERT_TRUE(p.handshake());
  const std::string head = "POST /v1/chat/completions HTTP/1.1\r\n\r\n", body = "{}";
  std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
  error_code ec;
  const auto rest = p.stream->write_now(parts, ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(rest.empty());
  // Sent without the context running: the provider reads it all.
  std::string got(head.size() + body.size(), '\0');
  asio::read(*p.peer, asio::buffer(got), ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(got, head + body);
}

TEST(AnyStreamTls, RecordsTheKernelDidNotTakeAreSentFirstByTheAwaitedWrite) {
  TlsPair p;
  ASSERT_TRUE(p.handshake());
  const int small = 16 * 1024;
  setsockopt(p.stream->socket().native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt(p.peer->next_layer().native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

  // Pieces of a kilobyte, each taken whole (one record), until the kernel takes no more: the last
  // piece's record is kept, and what write_now returns is one empty buffer to await.
  std::string sent;
  std::vector<char> piece(1024);
  std::span<asio::const_buffer> rest;
  std::array<asio::const_buffer, 1> parts{};
  error_code ec;
  for (int i = 0; rest.empty() && i < 64 * 1024; ++i) {
    std::fill(piece.begin(), piece.end(), static_cast<char>('a' + i % 26));
    sent.append(piece.data(), piece.size());
    parts[0] = asio::buffer(piece);
    rest = p.stream->write_now(parts, ec);
    ASSERT_FALSE(ec);
  }
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].size(), 0U);
  const std::string kept(piece.begin(), piece.end());

  // Behind the records kept, another write_now writes nothing: all of it is left to await.
  const std::string more(3000, 'z');
  std::array<asio::const_buffer, 1> more_parts{asio::buffer(more)};
  const auto more_rest = p.stream->write_now(more_parts, ec);
  EXPECT_FALSE(ec);
  ASSERT_EQ(more_rest.size(), 1U);
  EXPECT_EQ(more_rest[0].size(), more.size());
  sent += more;

  // A read is under way meanwhile (as a client connection's is, watching for a disconnect): the
  // provider reads everything, in order, while the two awaited writes run, then answers.
  std::array<char, 4> answer{};
  std::size_t answered = 0;
  p.stream->async_read_some(asio::buffer(answer), [&](error_code e, std::size_t n) {
    if (!e) answered = n;
  });
  std::string got(sent.size(), '\0');
  error_code read_ec;
  std::thread provider([&] {
    const timeval limit{5, 0};
    setsockopt(p.peer->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    asio::read(*p.peer, asio::buffer(got), read_ec);
    if (!read_ec) asio::write(*p.peer, asio::buffer(std::string("pong")), read_ec);
  });
  int written = 0;
  error_code write_ec;
  asio::async_write(*p.stream, rest, [&](error_code e, std::size_t) {
    if (e) write_ec = e;
    asio::async_write(*p.stream, more_rest, [&](error_code e2, std::size_t n) {
      if (e2) write_ec = e2;
      written = static_cast<int>(n);
    });
  });
  EXPECT_TRUE(p.run_until([&] { return (written != 0 && answered != 0) || write_ec; }));
  provider.join();
  EXPECT_EQ(std::string(answer.data(), answered), "pong");
  EXPECT_FALSE(write_ec);
  EXPECT_EQ(written, static_cast<int>(more.size()));
  EXPECT_FALSE(read_ec);
  EXPECT_TRUE(got == sent) << "the provider read other bytes than were written";
  EXPECT_EQ(got.substr(got.size() - more.size() - kept.size(), kept.size()), kept);
}

}  // namespace
}  // namespace corral
