// OpenAI's chat completions and Anthropic's Messages API translated into each other, as pure
// functions (no I/O): requests, whole answers, usage. Streams are in stream_translate.hpp. What is
// kept and how (docs/anthropic.md): system prompts, text, image and document parts, tool calls and
// their results (ids kept, consecutive results merged into one user turn), tool definitions and
// choice, stop sequences, temperature, top_p, the user, the maximum output, the stream flag;
// fields the other dialect has no place for (cache_control, top_k, logprobs, n...) are dropped.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "api/usage.hpp"

namespace corral::api {

// A chat completions request as a Messages request; `default_max_tokens` when it sets no maximum
// (Anthropic requires one).
nlohmann::json chat_to_messages(const nlohmann::json& chat, std::uint64_t default_max_tokens);
// A Messages request as a chat completions request (a stream asks for its usage chunk).
nlohmann::json messages_to_chat(const nlohmann::json& messages);

// A whole Messages answer as a chat completion, and the other way.
nlohmann::json message_to_chat_completion(const nlohmann::json& message, std::int64_t created);
nlohmann::json chat_completion_to_message(const nlohmann::json& completion);

// Reasons an answer ended, each dialect's name for the other's.
std::string finish_reason_of(std::string_view stop_reason);  // end_turn -> stop, ...
std::string stop_reason_of(std::string_view finish_reason);  // stop -> end_turn, ...

// Usage in each dialect's shape. Anthropic's input_tokens excludes the prompt tokens read from and
// written to its cache; OpenAI's prompt_tokens includes the cached ones.
nlohmann::json anthropic_usage_json(const Usage& u);
nlohmann::json openai_usage_json(const Usage& u);

}  // namespace corral::api
