// Request bodies: reading the model and stream flag, the two token estimates, and the rewrites
// made before forwarding (model name, stream usage, maximum output). A rewritten body is valid
// JSON that differs from the client's only where corral meant it to.
#include <string>

#include "api/openai_request.hpp"
#include "fuzz/fuzz_target.hpp"
#include "limits/token_estimate.hpp"

using namespace corral;

CORRAL_FUZZ_TARGET(openai_body) {
  const auto in = fuzz::as_text(data, size);
  auto parsed = api::parse_request_body(in);
  if (parsed.error != Errc::ok) {
    FUZZ_CHECK(parsed.error == Errc::invalid_json || parsed.error == Errc::invalid_request);
    return 0;
  }
  FUZZ_CHECK(!parsed.model.empty() && parsed.json.is_object());
  ModelConfig model;
  model.default_max_tokens = 100;
  for (bool has_output : {false, true}) {
    const auto e = limits::estimate_tokens(parsed.json, in.size(), model, has_output);
    FUZZ_CHECK(e.prompt_bound >= e.prompt);  // the bound is never below the estimate
    FUZZ_CHECK(e.output_bound >= e.max_output);
    if (!has_output) FUZZ_CHECK(e.output_bound == 0);
  }
  const auto original = parsed.json;
  for (auto route : {api::Operation::chat_completions, api::Operation::completions, api::Operation::embeddings,
                     api::Operation::responses}) {
    auto body = original;
    const bool added = api::request_stream_usage(body, route);
    body["model"] = "renamed";
    body[std::string(api::output_cap_field(route))] = 7;
    const auto again = nlohmann::json::parse(body.dump(), nullptr, false);
    FUZZ_CHECK(again.is_object() && again["model"] == "renamed");
    if (added) FUZZ_CHECK(again["stream_options"]["include_usage"] == true && parsed.stream);
    for (const auto& [key, value] : original.items()) {
      if (key == "model" || key == "stream_options" || key == api::output_cap_field(route)) continue;
      FUZZ_CHECK(again.contains(key) && again[key] == value);
    }
  }
  return 0;
}
