#include "api/stream_events.hpp"

#include <cctype>

#include "api/byte_search.hpp"

namespace corral::api {
namespace {

// The raw JSON value of the first member named `key` in `json` (a string with its quotes, or the
// bytes up to the next delimiter), without parsing the document: inside JSON strings a quote is
// always escaped, so `"key"` followed by a colon can only be a member name. Empty when absent.
std::string_view raw_value(std::string_view json, std::string_view key) {
  for (std::size_t at = 0; (at = bytes::find(json, key, at)) != std::string_view::npos; at += key.size()) {
    if (at == 0 || json[at - 1] != '"' || at + key.size() >= json.size() || json[at + key.size()] != '"') continue;
    std::size_t i = at + key.size() + 1;
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
    if (i == json.size() || json[i] != ':') continue;
    ++i;
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
    const auto start = i;
    if (i < json.size() && json[i] == '"') {
      for (++i; i < json.size() && json[i] != '"'; ++i)
        if (json[i] == '\\') ++i;
      return json.substr(start, std::min(i + 1, json.size()) - start);
    }
    while (i < json.size() && json[i] != ',' && json[i] != '}' && json[i] != ']') ++i;
    return json.substr(start, i - start);
  }
  return {};
}

bool non_empty_string(std::string_view raw) { return raw.size() > 2 && raw.front() == '"'; }
bool present(std::string_view raw) { return !raw.empty() && raw != "null" && raw != "[]"; }

}  // namespace

bool carries_content(const SseEvent& e) {
  const auto d = e.data;
  if (d.empty() || d.front() != '{') return false;
  // chat completions (text, tool calls, a refusal), text completions
  if (non_empty_string(raw_value(d, "content")) || present(raw_value(d, "tool_calls")) ||
      present(raw_value(d, "function_call")) || non_empty_string(raw_value(d, "refusal")) ||
      non_empty_string(raw_value(d, "text")))
    return true;
  // the responses API's and Anthropic's typed events
  const auto type = raw_value(d, "type");
  return type.ends_with(".delta\"") || type == "\"content_block_delta\"" || type == "\"response.output_item.added\"";
}

bool is_error_event(const SseEvent& e) {
  if (e.event == "error") return true;
  const auto d = e.data;
  if (d.empty() || d.front() != '{') return false;
  return present(raw_value(d, "error")) || raw_value(d, "type") == "\"error\"";
}

}  // namespace corral::api
