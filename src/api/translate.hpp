// OpenAI's chat completions and Anthropic's Messages API translated into each other, as pure
// functions (no I/O): whole answers (from their bytes), the reasons an answer ended, usage.
// Requests are in translate_request.hpp, streams in stream_translate.hpp; what is kept and how is
// in docs/anthropic.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/usage.hpp"

namespace corral::api {

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
