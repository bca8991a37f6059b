// What a request asks for: an operation of a provider's API (forwarded, in the OpenAI dialect or,
// for messages, Anthropic's) or one corral answers itself.
#pragma once

#include <string_view>

namespace corral::api {

enum class Operation {
  chat_completions,
  completions,
  embeddings,
  responses,
  messages,     // POST /v1/messages: Anthropic's Messages API
  list_models,  // GET /v1/models: the tenant's models
  usage,        // GET /v1/corral/usage: the tenant's own limits and usage
  health,       // GET /healthz
};

// True for the operations that go to a provider with a JSON body.
constexpr bool is_forwarded(Operation op) noexcept {
  return op == Operation::chat_completions || op == Operation::completions || op == Operation::embeddings ||
         op == Operation::responses || op == Operation::messages;
}

// The path after /v1 that goes upstream, e.g. "/chat/completions" ("" for corral's own).
constexpr std::string_view upstream_path(Operation op) noexcept {
  switch (op) {
    case Operation::chat_completions: return "/chat/completions";
    case Operation::completions: return "/completions";
    case Operation::embeddings: return "/embeddings";
    case Operation::responses: return "/responses";
    case Operation::messages: return "/messages";
    default: return "";
  }
}

// Whether the answer has generated output (completion tokens) besides the prompt.
constexpr bool has_output(Operation op) noexcept { return is_forwarded(op) && op != Operation::embeddings; }

}  // namespace corral::api
