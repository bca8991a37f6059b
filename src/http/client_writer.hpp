// The client-facing end of a relayed answer: the head the client receives (the provider's status
// and end-to-end fields, corral's headers, x-request-id), its framing (the provider's length, else
// chunked for HTTP/1.1, else the end of the connection for HTTP/1.0) and keep-alive, and the body
// written piece by piece, each write bounded by the write timeout. The head is written straight
// into a string kept across the connection's answers, and goes out in one gathered write with the
// first piece; chunks are framed around the pieces without copying them (over TLS each write is
// gathered into one record). One per client connection.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "corral/any_stream.hpp"
#include "corral/response_sink.hpp"
#include "corral/watchdog.hpp"
#include "http/versions.hpp"
#include "limits/rate_headers.hpp"

namespace corral::http_server {

class ClientWriter final : public ResponseSink {
 public:
  // `draining`: the daemon is stopping; an answer whose head goes out then closes the connection.
  ClientWriter(AnyStream& stream, Watchdog& deadline, const bool& draining)
      : stream_(stream), deadline_(deadline), draining_(draining) {}

  // A new answer: the request's version, whether the connection may be kept, and corral's headers
  // (read when the head is sent).
  void begin(unsigned version, bool keep_alive, std::string_view request_id, const limits::HeaderList* headers,
             Duration write_timeout);

  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return written_; }

  // The answer went out whole and the connection can take another request.
  bool reusable() const { return ended_ && !failed_ && keep_; }

  // A whole answer corral makes itself (errors, refusals, cache hits, local routes), its fields as
  // `res` holds them: the head, then the body unless `head_only` (HEAD), in one write.
  awaitable<error_code> send(const http::response<http::string_body>& res, bool head_only, Duration write_timeout);

 private:
  // What one write sends: `parts` as they are, or over TLS the parts copied into one buffer (one
  // record, not one per part).
  std::span<asio::const_buffer> gathered(std::span<asio::const_buffer> parts);

  // Whether a field of the provider's head is replaced by one corral sets.
  bool replaced(std::string_view name) const;

  AnyStream& stream_;
  Watchdog& deadline_;
  const bool& draining_;
  std::string head_;  // the answer's head, written out with the first piece (capacity kept)
  std::string tls_;   // over TLS, what one write sends gathered into one record
  unsigned version_ = kHttp11;
  bool keep_alive_ = true;  // the connection may be kept (the request's wish, before framing)
  bool keep_ = false;       // this answer keeps it
  bool chunked_ = false;
  std::string_view request_id_;
  const limits::HeaderList* headers_ = nullptr;
  Duration write_timeout_{};
  bool head_sent_ = false, written_ = false, ended_ = false, failed_ = false;
};

}  // namespace corral::http_server
