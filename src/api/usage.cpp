#include "api/usage.hpp"

#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

std::uint64_t count(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

std::optional<Usage> usage_from(const nlohmann::json& answer) {
  if (!answer.is_object()) return std::nullopt;
  auto it = answer.find("usage");
  if (it == answer.end() || !it->is_object()) {
    auto r = answer.find("response");  // responses API stream events
    if (r == answer.end() || !r->is_object()) return std::nullopt;
    it = r->find("usage");
    if (it == r->end() || !it->is_object()) return std::nullopt;
  }
  const auto& u = *it;
  Usage out;
  if (u.contains("input_tokens") || u.contains("output_tokens")) {  // responses API
    out.prompt_tokens = count(u, "input_tokens");
    out.completion_tokens = count(u, "output_tokens");
    if (auto d = u.find("input_tokens_details"); d != u.end() && d->is_object()) out.cached_tokens = count(*d, "cached_tokens");
  } else {
    out.prompt_tokens = count(u, "prompt_tokens");
    out.completion_tokens = count(u, "completion_tokens");
    if (auto d = u.find("prompt_tokens_details"); d != u.end() && d->is_object()) out.cached_tokens = count(*d, "cached_tokens");
  }
  return out;
}

}  // namespace corral::api
