// The OpenAI dialect's request bodies as pure code: reading what corral needs from a body (model,
// stream flag) and the rewrites it makes before forwarding (the route's model name, the usage
// chunk of a stream, the maximum output). No I/O; fuzzed in tests/fuzz/openai_body_fuzz.cpp.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "corral/error.hpp"
#include "api/operation.hpp"

namespace corral::api {

// The request body of a forwarded route: a JSON object with a non-empty string `model` and, if
// present, a boolean (or null) `stream`.
struct RequestBody {
  nlohmann::json json;
  std::string model;
  bool stream = false;
  Errc error = Errc::ok;         // invalid_json or invalid_request
  std::string message, param;    // why, for the client
};

RequestBody parse_request_body(std::string_view text);

// Streams are accounted with the provider's usage chunk: asks for it (stream_options.include_usage)
// on the routes that have one when the client did not. True when corral added it (the relay then
// removes that chunk from what the client receives).
bool request_stream_usage(nlohmann::json& body, Operation op);

// The field that bounds the answer's length on a forwarded route.
std::string_view output_cap_field(Operation op);

}  // namespace corral::api
