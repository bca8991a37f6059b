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
    // the responses API's stream events, Anthropic's message_start
    auto r = answer.find("response");
    if (r == answer.end() || !r->is_object()) r = answer.find("message");
    if (r == answer.end() || !r->is_object()) return std::nullopt;
    it = r->find("usage");
    if (it == r->end() || !it->is_object()) return std::nullopt;
  }
  const auto& u = *it;
  Usage out;
  if (u.contains("cache_read_input_tokens") || u.contains("cache_creation_input_tokens")) {
    // Anthropic: input_tokens leaves out what was read from and written to its cache.
    out.cached_tokens = count(u, "cache_read_input_tokens");
    out.prompt_tokens = count(u, "input_tokens") + out.cached_tokens + count(u, "cache_creation_input_tokens");
    out.completion_tokens = count(u, "output_tokens");
  } else if (u.contains("input_tokens") || u.contains("output_tokens")) {  // responses API, Anthropic
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

void merge_usage(std::optional<Usage>& into, const nlohmann::json& event) {
  auto u = usage_from(event);
  if (!u) return;
  // Anthropic's message_delta may give the output alone: the prompt stays message_start's.
  const auto type = event.find("type");
  if (into && type != event.end() && type->is_string() && type->get_ref<const std::string&>() == "message_delta" &&
      u->prompt_tokens == 0) {
    into->completion_tokens = u->completion_tokens;
    return;
  }
  into = u;
}

}  // namespace corral::api
