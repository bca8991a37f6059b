#include "api/dialect.hpp"

#include <nlohmann/json.hpp>

namespace corral::api {

bool provider_operation(Operation op, Dialect provider, Operation& out) noexcept {
  if (dialect_of(op) == provider) {
    out = op;
    return true;
  }
  if (op == Operation::chat_completions) out = Operation::messages;
  else if (op == Operation::messages) out = Operation::chat_completions;
  else return false;  // embeddings, completions, responses: OpenAI's alone
  return true;
}

std::string_view anthropic_error_type(unsigned status) noexcept {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

std::string anthropic_error_body(unsigned status, std::string_view message) {
  return nlohmann::json{{"type", "error"},
                        {"error", {{"type", anthropic_error_type(status)}, {"message", message}}}}
      .dump();
}

std::string translate_error_body(std::string_view body, Dialect from, Dialect to, unsigned status) {
  if (from == to) return std::string(body);
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return std::string(body);
  const auto err = j.find("error");
  if (err == j.end() || !err->is_object()) return std::string(body);
  // Members of the wrong type (a null message...) count as absent: the body came from outside.
  const auto text = [&](const char* key, std::string fallback) {
    const auto it = err->find(key);
    return it != err->end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  const auto message = text("message", {});
  if (to == Dialect::anthropic) return anthropic_error_body(status, message);
  // To OpenAI's shape: Anthropic's type becomes both the type and the code.
  const auto type = text("type", "api_error");
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", type}}}}.dump();
}

}  // namespace corral::api
