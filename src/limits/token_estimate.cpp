#include "limits/token_estimate.hpp"

#include <nlohmann/json.hpp>

namespace corral::limits {
namespace {

struct Count {
  std::uint64_t text_bytes = 0;  // bytes of text fields (the admission estimate)
  std::uint64_t images = 0;      // image parts (the bound)
};

bool is_image_part(const nlohmann::json& v) {
  auto t = v.find("type");
  if (t == v.end() || !t->is_string()) return false;
  const auto& type = t->get_ref<const std::string&>();
  // (Anthropic's documents too: a PDF is billed by its pages, text and image alike.)
  return type == "image_url" || type == "input_image" || type == "image" || type == "document" || type == "file";
}

// Text and images in a content value: a string, or a list of parts / strings / token ids.
void count_content(const nlohmann::json& v, Count& c) {
  if (v.is_string()) {
    c.text_bytes += v.get_ref<const std::string&>().size();
  } else if (v.is_number_integer()) {
    c.text_bytes += 4;  // a token id counts as one token
  } else if (v.is_array()) {
    for (const auto& item : v) count_content(item, c);
  } else if (v.is_object()) {
    if (is_image_part(v)) ++c.images;
    for (const char* key : {"text", "content", "input_text", "output_text"}) {
      auto it = v.find(key);
      if (it != v.end()) count_content(*it, c);
    }
  }
}

std::uint64_t uint_field(const nlohmann::json& body, const char* key, std::uint64_t fallback) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) return fallback;
  return static_cast<std::uint64_t>(it->get<std::int64_t>());
}

}  // namespace

TokenEstimate estimate_tokens(const nlohmann::json& body, std::size_t body_bytes, const ModelConfig& model,
                              bool has_output) {
  Count c;
  std::uint64_t messages = 0;
  if (auto it = body.find("messages"); it != body.end() && it->is_array()) {
    for (const auto& m : *it) {
      ++messages;
      if (!m.is_object()) continue;
      if (auto ct = m.find("content"); ct != m.end()) count_content(*ct, c);
      if (auto nm = m.find("name"); nm != m.end()) count_content(*nm, c);
    }
  }
  for (const char* key : {"prompt", "input", "instructions", "system"}) {
    if (auto it = body.find(key); it != body.end()) {
      count_content(*it, c);
      if (it->is_array()) messages += it->size();  // responses' input items carry framing too
    }
  }

  TokenEstimate e;
  e.prompt = (c.text_bytes + 3) / 4;
  e.prompt_bound = body_bytes + messages * kMessageTokenBound + kRequestTokenBound + c.images * kImageTokenBound;
  if (has_output) {
    e.max_output = model.default_max_tokens;
    for (const char* key : {"max_completion_tokens", "max_tokens", "max_output_tokens"}) {
      auto it = body.find(key);
      if (it != body.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0) {
        e.max_output = static_cast<std::uint64_t>(it->get<std::int64_t>());
        e.output_capped = true;
        break;
      }
    }
    const auto choices = std::max<std::uint64_t>({1, uint_field(body, "n", 1), uint_field(body, "best_of", 1)});
    e.output_bound = e.max_output * choices;
  }
  return e;
}

}  // namespace corral::limits
