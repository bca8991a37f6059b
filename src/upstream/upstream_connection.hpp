// One keep-alive connection to a provider (plain or TLS), owned by one request at a time or
// parked idle in a pool. It counts itself in its provider's open-connection total.
#pragma once

#include <memory>

#include "corral/any_stream.hpp"
#include "corral/error.hpp"
#include "corral/watchdog.hpp"
#include "corral/config.hpp"
#include "upstream/provider_connections.hpp"
#include "upstream/dns_cache.hpp"
#include "upstream/read_buffer.hpp"

namespace corral::upstream {

class UpstreamConnection {
 public:
  using ReadBuffer = beast::basic_flat_buffer<ReadBufferAllocator<char>>;
  // Held while the connection is in use; given back while it waits in a pool (read_buffer.hpp).
  static constexpr std::size_t kReadBufferBytes = ReadBufferBlocks::kBlockBytes;

  UpstreamConnection(AnyStream stream, std::shared_ptr<ProviderConnections> provider);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  AnyStream& stream() { return stream_; }
  ReadBuffer& buffer() { return buffer_; }
  // Into a pool: an empty read buffer goes back to the thread's blocks. Out of it: one is taken.
  void park() {
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
  }
  void unpark() { buffer_.reserve(kReadBufferBytes); }
  const ProviderConnections* provider() const { return provider_.get(); }

  // Bounds the next operations: when `d` passes, pending I/O is cancelled and timed_out() is set.
  void deadline(Duration d) {
    watchdog_.arm(d, [s = &stream_] { s->cancel(); });
  }
  void clear_deadline() { watchdog_.disarm(); }
  bool timed_out() const { return watchdog_.fired(); }
  // Stops everything at once (client gone); the connection is then never reused.
  void abort() {
    aborted_ = true;
    stream_.close();
  }
  bool aborted() const { return aborted_; }

  std::uint64_t requests_served = 0;  // > 0: reused from a pool

 private:
  AnyStream stream_;
  ReadBuffer buffer_;
  Watchdog watchdog_;
  std::shared_ptr<ProviderConnections> provider_;
  bool aborted_ = false;
};

struct ConnectResult {
  std::shared_ptr<UpstreamConnection> connection;
  Errc error = Errc::ok;  // upstream_error or upstream_timeout
  std::string detail;     // for the log
};

// Resolves, connects (TCP_NODELAY), and for https:// performs the TLS handshake with SNI and
// certificate + host name verification, all within the provider's connect_timeout.
// `connections` counts the new connection; `tls` is the provider's client context (https only).
awaitable<ConnectResult> connect(DnsCache& dns, const ProviderConfig& provider,
                                 const std::shared_ptr<ProviderConnections>& connections, ssl::context* tls);

}  // namespace corral::upstream
