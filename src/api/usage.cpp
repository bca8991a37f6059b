#include "api/usage.hpp"

#include <nlohmann/json.hpp>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

std::uint64_t count(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

// The last member named `key` (as nlohmann keeps the last of repeated keys), or empty.
std::string_view last_member(std::string_view obj, std::string_view key) {
  std::string_view found;
  jscan::members(obj, [&](std::string_view k, std::string_view v) {
    if (k == key) found = v;
  });
  return found;
}

bool has_member(std::string_view obj, std::string_view key) { return !last_member(obj, key).empty(); }

std::uint64_t raw_count(std::string_view obj, std::string_view key) { return jscan::to_unsigned(last_member(obj, key)); }

}  // namespace

std::optional<Usage> usage_from_text(std::string_view text) {
  const auto answer = jscan::whole(text);
  if (!jscan::is_object(answer)) return std::nullopt;
  std::string_view u, response, message;
  jscan::members(answer, [&](std::string_view k, std::string_view v) {
    if (k == "usage") u = v;
    else if (k == "response") response = v;
    else if (k == "message") message = v;
  });
  if (!jscan::is_object(u)) {
    const auto r = jscan::is_object(response) ? response : message;
    if (!jscan::is_object(r)) return std::nullopt;
    u = last_member(r, "usage");
    if (!jscan::is_object(u)) return std::nullopt;
  }
  Usage out;
  if (has_member(u, "cache_read_input_tokens") || has_member(u, "cache_creation_input_tokens")) {
    out.cached_tokens = raw_count(u, "cache_read_input_tokens");
    out.prompt_tokens = raw_count(u, "input_tokens") + out.cached_tokens + raw_count(u, "cache_creation_input_tokens");
    out.completion_tokens = raw_count(u, "output_tokens");
  } else if (has_member(u, "input_tokens") || has_member(u, "output_tokens")) {
    out.prompt_tokens = raw_count(u, "input_tokens");
    out.completion_tokens = raw_count(u, "output_tokens");
    if (const auto d = last_member(u, "input_tokens_details"); jscan::is_object(d)) out.cached_tokens = raw_count(d, "cached_tokens");
  } else {
    out.prompt_tokens = raw_count(u, "prompt_tokens");
    out.completion_tokens = raw_count(u, "completion_tokens");
    if (const auto d = last_member(u, "prompt_tokens_details"); jscan::is_object(d)) out.cached_tokens = raw_count(d, "cached_tokens");
  }
  return out;
}

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
