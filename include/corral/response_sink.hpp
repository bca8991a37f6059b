// Where an answer from a provider goes while it is relayed: the relay hands the answer's head and
// then its body, piece by piece, to a sink and never sees what is behind it. The client-facing
// writer (framing, keep-alive, corral's headers) is one sink; the usage tap and the cache capture
// are sinks that wrap another.
#pragma once

#include <optional>
#include <string_view>

#include "corral/asio.hpp"
#include "corral/http_head.hpp"
#include "corral/head_fields.hpp"

namespace corral {

class ResponseSink {
 public:
  // The answer's head: status, reason and the provider's fields (hop-by-hop and framing fields
  // still among them), with the body length when the provider declared one. Nothing is sent yet.
  virtual void start(unsigned status, std::string_view reason, const HeadFields& fields,
                     std::optional<std::uint64_t> content_length) = 0;
  // A piece of the body (possibly empty); `last` ends the answer. The first call sends the head
  // with its piece. An error means the client can no longer be written to.
  virtual awaitable<error_code> write(std::string_view piece, bool last) = 0;
  // True once anything of the answer has gone to the client (it can no longer be replaced).
  virtual bool committed() const = 0;

 protected:
  ~ResponseSink() = default;
};

// A Content-Type of text/event-stream (a streamed answer, relayed event by event).
inline bool is_event_stream(std::string_view content_type) {
  return http_head::istarts_with(content_type, "text/event-stream");
}
inline bool is_event_stream(const HeadFields& fields) {
  return is_event_stream(fields.value(http::field::content_type));
}

}  // namespace corral
