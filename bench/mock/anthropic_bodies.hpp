// corral-mock's answers in Anthropic's wire format (POST /v1/messages): a message with content
// blocks, tool use when the request has tools and asks for one, usage with cache reads, the
// streaming grammar (message_start, ping, content_block_start/delta/stop, message_delta,
// message_stop), and errors.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "openai_bodies.hpp"

namespace corral::mock {

// The prompt tokens Anthropic would count (the same rule as count_prompt_tokens: system, every
// block's text, tool inputs and results, 85 a picture, tool definitions as their JSON).
std::uint64_t count_message_tokens(const nlohmann::json& request);

// Whether the answer is a tool call: the request has tools, and either names or requires one, or
// leaves the choice to the model and the conversation does not end with a tool's result.
bool wants_tool(const nlohmann::json& request, bool anthropic);
// The call: the named tool (or the first), with "mock" for each required property of its schema.
std::pair<std::string, nlohmann::json> tool_call_of(const nlohmann::json& request, bool anthropic);

// `cached` of the shape's prompt tokens were read from the provider's cache.
std::string whole_message(const nlohmann::json& request, const Shape& shape, std::uint64_t cached);
EventStream message_events(const nlohmann::json& request, const Shape& shape, std::uint64_t cached);
std::string anthropic_error(unsigned status, std::string_view message);

}  // namespace corral::mock
