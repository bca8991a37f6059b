// What a provider reports it used for one request, and where the OpenAI dialect says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace corral::api {

struct Usage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t cached_tokens = 0;  // part of prompt_tokens served from the provider's cache
  bool operator==(const Usage&) const = default;
};

// The usage object of an answer or stream event, in any of the shapes: OpenAI's chat and text
// completions, the responses API's (and its response.completed event), Anthropic's message,
// message_start and message_delta (input_tokens there excludes the cache's reads and writes).
std::optional<Usage> usage_from(const nlohmann::json& answer);
// The same read from the answer's text with the raw scanner (json_scan.hpp), without building the
// document: what the usage tap does with every whole answer. Nothing when the text is not one
// JSON object whose members and usage are well-formed (the values usage is not read from are
// passed over unchecked: a well-formed answer reads as its parsed document does).
std::optional<Usage> usage_from_text(std::string_view answer);
// A stream event's data as the usage tap reads it, in one pass of the raw scanner: the usage it
// reports (as usage_from_text) and, when it reports one, whether it is Anthropic's message_delta
// and whether its "choices" is an empty array (the usage-only chunk of chat completions).
struct EventUsage {
  std::optional<Usage> usage;
  bool message_delta = false;
  bool no_choices = false;
};
EventUsage event_usage(std::string_view data);
// The bytes of text a model generated in an answer, or in a stream event (`event`: read as it
// came, its field names and line ends passed over, as they hold no member of JSON): the
// string values named content, text, refusal, reasoning, reasoning_content, thinking, arguments,
// partial_json and delta, at any depth, as written (escapes and all). An event of the responses
// API whose type is not a delta ("response.….done", "response.completed") holds none: those repeat
// the text whole. A text cut short counts the values before the cut. What an answer that reports
// no usage is charged for (a token per four bytes), instead of every byte that was relayed: a
// stream's events are mostly envelope, two hundred bytes around a word.
std::uint64_t generated_text_bytes(std::string_view json, bool event);
// Follows a stream's usage event by event: an Anthropic message_delta that gives only the output
// keeps the prompt message_start gave.
void merge_usage(std::optional<Usage>& into, const EventUsage& event);

}  // namespace corral::api
