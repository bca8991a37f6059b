#include "limits/token_estimate.hpp"

#include <nlohmann/json.hpp>

namespace corral::limits {
namespace {

// Bytes of text in a content value: a string, or a list of parts / strings / token ids.
std::uint64_t text_bytes(const nlohmann::json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>().size();
  if (v.is_number_integer()) return 4;  // a token id counts as one token
  std::uint64_t n = 0;
  if (v.is_array()) {
    for (const auto& item : v) n += text_bytes(item);
  } else if (v.is_object()) {
    for (const char* key : {"text", "content", "input_text", "output_text"}) {
      auto it = v.find(key);
      if (it != v.end()) n += text_bytes(*it);
    }
  }
  return n;
}

}  // namespace

TokenEstimate estimate_tokens(const nlohmann::json& body, const ModelConfig& model,
                              bool has_output) {
  std::uint64_t bytes = 0;
  if (auto it = body.find("messages"); it != body.end() && it->is_array()) {
    for (const auto& m : *it) {
      if (!m.is_object()) continue;
      if (auto c = m.find("content"); c != m.end()) bytes += text_bytes(*c);
      if (auto nm = m.find("name"); nm != m.end()) bytes += text_bytes(*nm);
    }
  }
  for (const char* key : {"prompt", "input", "instructions"})
    if (auto it = body.find(key); it != body.end()) bytes += text_bytes(*it);

  TokenEstimate e;
  e.prompt = (bytes + 3) / 4;
  if (has_output) {
    e.max_output = model.default_max_tokens;
    for (const char* key : {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
      auto it = body.find(key);
      if (it != body.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        e.max_output = static_cast<std::uint64_t>(it->get<std::int64_t>());
        break;
      }
    }
  }
  return e;
}

}  // namespace corral::limits
