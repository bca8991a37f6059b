// Requests in OpenAI's chat completions and Anthropic's Messages API translated into each other,
// as pure functions (no I/O), from the text of a body the strict pass of parse_request_body has
// checked: read with the raw scanner, not checked again, and written as the other dialect's bytes
// (texts, ids and values copied as the client wrote them). What is kept and how
// (docs/anthropic.md): system prompts, text, image and document parts, tool calls and their results
// (ids kept, consecutive results merged into one user turn), tool definitions and choice, stop
// sequences, temperature, top_p, the user, the maximum output, the stream flag; fields the other
// dialect has no place for (cache_control, top_k, logprobs, n...) are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::api {

// A chat completions request as a Messages request for `model`; `max_tokens`, when set, replaces
// the request's maximum, else `default_max_tokens` when it sets none (Anthropic requires one).
std::string chat_to_messages(std::string_view chat, std::string_view model, std::uint64_t default_max_tokens,
                             std::optional<std::uint64_t> max_tokens = std::nullopt);
// A Messages request as a chat completions request for `model` (a stream asks for its usage
// chunk); `max_tokens`, when set, replaces the request's maximum.
std::string messages_to_chat(std::string_view messages, std::string_view model,
                             std::optional<std::uint64_t> max_tokens = std::nullopt);

}  // namespace corral::api
