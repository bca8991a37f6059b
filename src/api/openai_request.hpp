// Request bodies as pure code: what corral reads from a body (model, stream flag, stream options,
// the output maximum, the text and images the token estimates count) in one pass over its bytes
// without building it, and the rewrites made before forwarding (the route's model name, the usage
// chunk of a stream, the maximum output) made by splicing bytes into the client's text. A parsed
// document (nlohmann) is built only for what needs one: cache keys and a chat request sent to an
// Anthropic provider. No I/O; fuzzed against a parsed document in tests/fuzz/openai_body_fuzz.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "corral/error.hpp"
#include "api/operation.hpp"

namespace corral::api {

// A raw value's place in the body's text (offset and length); empty when the member is absent.
struct Slice {
  std::size_t at = 0, size = 0;
  bool present() const { return size != 0; }
  std::string_view in(std::string_view text) const { return text.substr(at, size); }
};

// What the token estimates count (limits/token_estimate.hpp): the UTF-8 bytes of the text fields,
// image parts, messages (and input items), and the numbers that bound the answer. A number is
// present when it is an integer from 0 to 2^63 - 1.
struct BodyCounts {
  std::uint64_t text_bytes = 0;
  std::uint64_t images = 0;
  std::uint64_t messages = 0;
  std::optional<std::uint64_t> max_completion_tokens, max_tokens, max_output_tokens, n, best_of;
};

// The request body of a forwarded route: a JSON object with a non-empty string `model` and, if
// present, a boolean (or null) `stream`, an object (or null) `stream_options` whose
// `include_usage` is a boolean (or null). Of a member written more than once the last counts, as
// in the parsers providers use; member names are compared decoded.
struct RequestBody {
  std::string model;
  bool stream = false;
  bool include_usage = false;    // stream_options.include_usage is true
  BodyCounts counts;
  Errc error = Errc::ok;         // invalid_json or invalid_request
  std::string message, param;    // why, for the client

  // Where the rewrites go, in the text the body was parsed from.
  Slice model_value, stream_options_value, include_usage_value;
  Slice max_tokens_value, max_completion_tokens_value, max_output_tokens_value;
  std::size_t closing_brace = 0;

  // `max_tokens` is an integer of at least 1 (Anthropic's messages require one).
  bool positive_max_tokens = false;

  // The body as a document, parsed from `text` (the text it was parsed from) on first use.
  nlohmann::json& document(std::string_view text);

 private:
  std::optional<nlohmann::json> document_;
};

RequestBody parse_request_body(std::string_view text);
// The text of the body's value: `text` without the white space around it or a byte order mark
// before it (what parse_request_body read; when it found no error, a checked JSON object).
std::string_view body_object(std::string_view text);

// Streams are accounted with the provider's usage chunk: corral asks for it
// (stream_options.include_usage) on the routes that have one when the client did not; the relay
// then removes that chunk from what the client receives.
bool needs_stream_usage(const RequestBody& body, Operation op);

// The changes made to a body before it goes upstream in its own dialect.
struct BodyRewrite {
  std::string_view model;                // the route's model name
  bool include_usage = false;            // add stream_options.include_usage: true
  std::string_view cap_field;            // when not empty: set this maximum of the output
  std::uint64_t cap = 0;
};

// `text` with `rw` applied: only the bytes of the values it changes differ (members it adds go
// at the end of the object, or first in stream_options). `body` was parsed from `text`.
void rewrite_body(std::string_view text, const RequestBody& body, const BodyRewrite& rw, std::string& out);

// The same changes made to a parsed document: the reference rewrite_body is fuzzed and measured
// against (tests/fuzz/openai_body_fuzz.cpp, bench/micro/request_body_bench.cpp).
void rewrite_document(nlohmann::json& doc, const BodyRewrite& rw);

// The field that bounds the answer's length on a forwarded route.
std::string_view output_cap_field(Operation op);

}  // namespace corral::api
