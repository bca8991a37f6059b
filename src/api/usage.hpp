// What a provider reports it used for one request, and where the OpenAI dialect says so.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json_fwd.hpp>

namespace corral::api {

struct Usage {
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t cached_tokens = 0;  // part of prompt_tokens served from the provider's cache
};

// The usage object of an OpenAI answer or stream event, in any of the API's shapes
// (chat and text completions' usage, the responses API's, and its response.completed event).
std::optional<Usage> usage_from(const nlohmann::json& answer);

}  // namespace corral::api
