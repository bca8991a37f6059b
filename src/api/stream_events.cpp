#include "api/stream_events.hpp"

#include "api/byte_search.hpp"
#include "api/json_scan.hpp"

namespace corral::api {
namespace {

// The raw values (a string with its quotes, or the bytes up to the next delimiter; an empty array
// as "[]") of the first members named content, tool_calls, function_call, refusal, text, type and
// error, at any depth, found in one pass over the event's strings. A string is a member's name
// when a colon follows it; strings are stepped over whole, so text inside one that looks like a
// member is not one.
struct Members {
  std::string_view content, tool_calls, function_call, refusal, text, type, error;
  unsigned found = 0;  // a bit per member, in that order

  std::string_view* slot(std::string_view name) noexcept {
    const auto pick = [&](std::string_view n, std::string_view& v, unsigned bit) -> std::string_view* {
      return name == n && !(found & bit) ? (found |= bit, &v) : nullptr;
    };
    switch (name.size()) {
      case 4: return name[1] == 'e' ? pick("text", text, 16) : pick("type", type, 32);
      case 5: return pick("error", error, 64);
      case 7: return name[0] == 'c' ? pick("content", content, 1) : pick("refusal", refusal, 8);
      case 10: return pick("tool_calls", tool_calls, 2);
      case 13: return pick("function_call", function_call, 4);
      default: return nullptr;
    }
  }
};

// The end of the string whose opening quote is at s[i] (just past its closing quote), or npos.
std::size_t string_end(std::string_view s, std::size_t i) noexcept {
  for (++i;; i += 2) {
    i = bytes::first_of(s, i, '"', '\\');
    if (i == bytes::npos || s[i] == '"') return i == bytes::npos ? i : i + 1;
  }
}

std::string_view raw_at(std::string_view json, std::size_t i) noexcept {
  const auto start = i;
  if (i >= json.size()) return {};
  if (json[i] == '"') {
    const auto end = string_end(json, i);
    return json.substr(start, (end == bytes::npos ? json.size() : end) - start);
  }
  if (json[i] == '[' && jscan::skip_ws(json, i + 1) < json.size() && json[jscan::skip_ws(json, i + 1)] == ']')
    return "[]";
  while (i < json.size() && json[i] != ',' && json[i] != '}' && json[i] != ']') ++i;
  return json.substr(start, i - start);
}

Members members_of(std::string_view json) noexcept {
  Members m;
  for (std::size_t i = 0; (i = bytes::first_of(json, i, '"', '"')) != bytes::npos;) {
    const auto end = string_end(json, i);
    if (end == bytes::npos) break;
    const auto after = jscan::skip_ws(json, end);
    if (after < json.size() && json[after] == ':') {
      if (auto* v = m.slot(json.substr(i + 1, end - i - 2))) *v = raw_at(json, jscan::skip_ws(json, after + 1));
      i = after + 1;  // the value is read on: names inside it count too
    } else {
      i = end;
    }
  }
  return m;
}

bool non_empty_string(std::string_view raw) { return raw.size() > 2 && raw.front() == '"'; }
bool present(std::string_view raw) { return !raw.empty() && raw != "null" && raw != "[]"; }

}  // namespace

EventFacts facts_of(const SseEvent& e) {
  EventFacts f;
  f.error = e.event == "error";
  const auto d = e.data;
  if (d.empty() || d.front() != '{') return f;
  const auto m = members_of(d);
  f.error = f.error || present(m.error) || m.type == "\"error\"";
  // chat completions (text, tool calls, a refusal), text completions; the responses API's and
  // Anthropic's typed events
  f.content = non_empty_string(m.content) || present(m.tool_calls) || present(m.function_call) ||
              non_empty_string(m.refusal) || non_empty_string(m.text) || m.type.ends_with(".delta\"") ||
              m.type == "\"content_block_delta\"" || m.type == "\"response.output_item.added\"";
  return f;
}

bool carries_content(const SseEvent& e) { return facts_of(e).content; }
bool is_error_event(const SseEvent& e) { return facts_of(e).error; }

}  // namespace corral::api
