// OpenAI's chat completions and Anthropic's Messages API translated into each other, as pure
// functions (no I/O): requests (a chat request from the parsed body the validate stage holds, a
// Messages request from its checked text), whole answers (from their bytes), usage. Streams are in stream_translate.hpp. What is
// kept and how (docs/anthropic.md): system prompts, text, image and document parts, tool calls and
// their results (ids kept, consecutive results merged into one user turn), tool definitions and
// choice, stop sequences, temperature, top_p, the user, the maximum output, the stream flag;
// fields the other dialect has no place for (cache_control, top_k, logprobs, n...) are dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/usage.hpp"

namespace corral::api {

// A chat completions request as a Messages request; `default_max_tokens` when it sets no maximum
// (Anthropic requires one).
std::string chat_to_messages(std::string_view chat, std::string_view model, std::uint64_t default_max_tokens,
                             std::optional<std::uint64_t> max_tokens = std::nullopt);
// A Messages request as a chat completions request for `model` (a stream asks for its usage
// chunk); `max_tokens`, when set, replaces the request's maximum. `messages` is the text of a JSON
// object a strict pass has been through (parse_request_body's): it is read with the raw scanner,
// not checked again, and strings and values are copied as they are written.
std::string messages_to_chat(std::string_view messages, std::string_view model,
                             std::optional<std::uint64_t> max_tokens = std::nullopt);

// A whole Messages answer as a chat completion, and the other way, read with the raw scanner
// (texts and ids copied as they came); nullopt when the answer is not a well-formed JSON object.
std::optional<std::string> message_to_chat_completion(std::string_view message, std::int64_t created);
std::optional<std::string> chat_completion_to_message(std::string_view completion);

// Reasons an answer ended, each dialect's name for the other's.
std::string_view finish_reason_of(std::string_view stop_reason);  // end_turn -> stop, ...
std::string_view stop_reason_of(std::string_view finish_reason);  // stop -> end_turn, ...

// Usage as each dialect writes it, appended to `out`. Anthropic's input_tokens excludes the prompt
// tokens read from and written to its cache; OpenAI's prompt_tokens includes the cached ones.
void append_anthropic_usage(std::string& out, const Usage& u);
void append_openai_usage(std::string& out, const Usage& u);
// Usage objects (raw JSON) read into `u`: the members present replace what `u` held; an Anthropic
// usage without input counts (a message_delta's) keeps the prompt `u` had. The object is one a
// checking pass has been through (a value of a checked answer or event): it is not checked again.
void read_anthropic_usage(std::string_view usage, Usage& u);
void read_openai_usage(std::string_view usage, Usage& u);

}  // namespace corral::api
