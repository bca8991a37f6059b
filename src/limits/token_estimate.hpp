// Two estimates of a request's tokens, for two purposes:
//  - the admission estimate (tokens per minute, the fair queue's cost): close to what a provider
//    counts for ordinary text — prompt ≈ UTF-8 bytes of the text fields / 4 — and corrected with
//    the reported usage afterwards, so an error either way evens out;
//  - the budget bound (the monthly budget's reservation): never below what any provider can bill,
//    so concurrent requests cannot overspend a budget by more than one request. Every token of a
//    byte-level tokenizer covers at least one byte, so the prompt is bounded by the bytes of the
//    whole body (text, roles, names, tool schemas, the JSON around them) plus the framing a provider
//    adds per message, and a fixed allowance per image part (billed by size, not by its bytes here).
//    The output is bounded by the request's maximum (max_tokens, max_completion_tokens,
//    max_output_tokens; the model's default_max_tokens when it sets none — corral then sends that
//    maximum upstream for tenants with a budget) times the number of choices (n, best_of).
#pragma once

#include <cstdint>

#include "api/openai_request.hpp"
#include "corral/config.hpp"

namespace corral::limits {

// The most tokens a provider bills for one image part (OpenAI's largest tiling, with margin).
inline constexpr std::uint64_t kImageTokenBound = 2560;
// Tokens a provider adds per message (role, separators) and once per request (the answer's start).
inline constexpr std::uint64_t kMessageTokenBound = 8;
inline constexpr std::uint64_t kRequestTokenBound = 16;

struct TokenEstimate {
  std::uint64_t prompt = 0;        // admission estimate of the prompt
  std::uint64_t max_output = 0;    // the output asked for (or the model's default)
  std::uint64_t prompt_bound = 0;  // upper bound of the prompt
  std::uint64_t output_bound = 0;  // upper bound of the output (max_output x choices)
  bool output_capped = false;      // the request sets its maximum output itself
  std::uint64_t total() const { return prompt + max_output; }
};

// `body` counts the request object of chat/completions, completions, embeddings, responses or
// Anthropic's messages (its `system`, content blocks and `max_tokens` read alike), and `body_bytes`
// is the size of its JSON text as received.
TokenEstimate estimate_tokens(const api::BodyCounts& body, std::size_t body_bytes, const ModelConfig& model,
                              bool has_output);

}  // namespace corral::limits
