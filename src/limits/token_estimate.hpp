// The admission estimate of a request's tokens: prompt ≈ UTF-8 bytes of its text fields / 4,
// output = the requested maximum or the model's default_max_tokens.
#pragma once

#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "corral/config.hpp"

namespace corral::limits {

struct TokenEstimate {
  std::uint64_t prompt = 0;
  std::uint64_t max_output = 0;
  std::uint64_t total() const { return prompt + max_output; }
};

// `body` is the request object of chat/completions, completions, embeddings or responses.
TokenEstimate estimate_tokens(const nlohmann::json& body, const ModelConfig& model,
                              bool has_output);

}  // namespace corral::limits
