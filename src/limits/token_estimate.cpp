#include "limits/token_estimate.hpp"

#include <algorithm>
#include <limits>

namespace corral::limits {

TokenEstimate estimate_tokens(const api::BodyCounts& body, std::size_t body_bytes, const ModelConfig& model,
                              bool has_output) {
  TokenEstimate e;
  e.prompt = (body.text_bytes + 3) / 4;
  e.prompt_bound =
      body_bytes + body.messages * kMessageTokenBound + kRequestTokenBound + body.images * kImageTokenBound;
  if (has_output) {
    e.max_output = model.default_max_tokens;
    for (const auto& field : {body.max_completion_tokens, body.max_tokens, body.max_output_tokens}) {
      if (field) {
        e.max_output = *field;
        e.output_capped = true;
        break;
      }
    }
    const auto choices = std::max<std::uint64_t>({1, body.n.value_or(1), body.best_of.value_or(1)});
    // Saturating: a bound that wraps would admit what it should refuse.
    e.output_bound = e.max_output > std::numeric_limits<std::uint64_t>::max() / choices
                         ? std::numeric_limits<std::uint64_t>::max()
                         : e.max_output * choices;
  }
  return e;
}

}  // namespace corral::limits
