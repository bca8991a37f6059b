#include "api/openai_request.hpp"

namespace corral::api {

RequestBody parse_request_body(std::string_view text) {
  RequestBody out;
  // nlohmann's reader takes a NUL byte for the end of the input; JSON has none anywhere.
  if (text.find('\0') == std::string_view::npos) out.json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  else out.json = nlohmann::json(nlohmann::json::value_t::discarded);
  if (out.json.is_discarded()) {
    out.json = nullptr;
    out.error = Errc::invalid_json;
    return out;
  }
  auto fail = [&](std::string message, std::string param) {
    out.json = nullptr;
    out.error = Errc::invalid_request;
    out.message = std::move(message);
    out.param = std::move(param);
    return std::move(out);
  };
  if (!out.json.is_object()) return fail("The request body must be a JSON object.", {});
  auto m = out.json.find("model");
  if (m == out.json.end() || !m->is_string() || m->get_ref<const std::string&>().empty())
    return fail("You must provide a model parameter.", "model");
  auto st = out.json.find("stream");
  if (st != out.json.end() && !st->is_boolean() && !st->is_null()) return fail("'stream' must be a boolean.", "stream");
  if (auto so = out.json.find("stream_options"); so != out.json.end() && !so->is_null()) {
    if (!so->is_object()) return fail("'stream_options' must be an object.", "stream_options");
    auto iu = so->find("include_usage");
    if (iu != so->end() && !iu->is_boolean() && !iu->is_null())
      return fail("'stream_options.include_usage' must be a boolean.", "stream_options.include_usage");
  }
  out.model = m->get<std::string>();
  out.stream = st != out.json.end() && st->is_boolean() && st->get<bool>();
  return out;
}

bool request_stream_usage(nlohmann::json& body, Operation op) {
  auto st = body.find("stream");
  if (st == body.end() || !st->is_boolean() || !st->get<bool>()) return false;
  if (op != Operation::chat_completions && op != Operation::completions) return false;
  auto& opts = body["stream_options"];
  if (!opts.is_object()) opts = nlohmann::json::object();
  if (auto iu = opts.find("include_usage"); iu != opts.end() && iu->is_boolean() && iu->get<bool>()) return false;
  opts["include_usage"] = true;
  return true;
}

std::string_view output_cap_field(Operation op) {
  switch (op) {
    case Operation::chat_completions: return "max_completion_tokens";
    case Operation::responses: return "max_output_tokens";
    default: return "max_tokens";
  }
}

}  // namespace corral::api
