#include "upstream/upstream_connection.hpp"

#include <boost/asio/connect.hpp>

namespace corral::upstream {

UpstreamConnection::UpstreamConnection(AnyStream stream, std::shared_ptr<ProviderConnections> provider)
    : stream_(std::move(stream)), watchdog_(stream_.get_executor()), provider_(std::move(provider)) {
  buffer_.reserve(kReadBufferBytes);  // Beast reads into free capacity (512 bytes when there is none)
  provider_->open.fetch_add(1, std::memory_order_relaxed);
  provider_->connects_total.fetch_add(1, std::memory_order_relaxed);
}

UpstreamConnection::~UpstreamConnection() {
  provider_->open.fetch_sub(1, std::memory_order_relaxed);
}

awaitable<ConnectResult> connect(DnsCache& dns, const ProviderConfig& provider,
                                 const std::shared_ptr<ProviderConnections>& connections, ssl::context* tls_context) {
  const auto& origin = provider.origin;
  auto [rec, endpoints] = co_await dns.resolve(origin.host, origin.port);
  if (rec || endpoints.empty())
    co_return ConnectResult{nullptr, Errc::upstream_error, "resolve " + origin.host + ": " + rec.message()};

  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  Watchdog watchdog(ex);
  watchdog.arm(provider.connect_timeout, [s = &socket] {
    error_code ignored;
    s->close(ignored);
  });
  auto [cec, ep] = co_await asio::async_connect(socket, endpoints, use_nothrow);
  if (cec) {
    dns.forget(origin.host, origin.port);
    co_return ConnectResult{nullptr, watchdog.fired() ? Errc::upstream_timeout : Errc::upstream_error,
                            "connect " + origin.host_header + ": " + cec.message()};
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);

  if (!origin.tls) {
    watchdog.disarm();
    co_return ConnectResult{std::make_shared<UpstreamConnection>(AnyStream(std::move(socket)), connections)};
  }

  AnyStream stream(std::move(socket), *tls_context);
  auto* tls = stream.tls();
  watchdog.arm(provider.connect_timeout, [s = &stream] { s->close(); });
  error_code lit;
  asio::ip::make_address(origin.host, lit);
  if (lit && !SSL_set_tlsext_host_name(tls->native_handle(), origin.host.c_str()))
    co_return ConnectResult{nullptr, Errc::upstream_error, "TLS: cannot set SNI"};
  if (provider.tls_verify) tls->set_verify_callback(ssl::host_name_verification(origin.host));
  auto [hec] = co_await tls->async_handshake(ssl::stream_base::client, use_nothrow);
  watchdog.disarm();
  if (hec) {
    co_return ConnectResult{nullptr, watchdog.fired() ? Errc::upstream_timeout : Errc::upstream_error,
                            "TLS handshake with " + origin.host_header + ": " + hec.message()};
  }
  co_return ConnectResult{std::make_shared<UpstreamConnection>(std::move(stream), connections)};
}

}  // namespace corral::upstream
