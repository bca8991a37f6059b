#include "api/stream_events.hpp"

#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

bool non_empty_string(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

bool present(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && !it->is_null();
}

nlohmann::json parse_object(std::string_view data) {
  if (data.empty() || data.front() != '{') return nullptr;
  auto j = nlohmann::json::parse(data, nullptr, false);
  return j.is_object() ? j : nlohmann::json(nullptr);
}

}  // namespace

bool carries_content(const SseEvent& e) {
  const auto j = parse_object(e.data);
  if (!j.is_object()) return false;
  if (auto choices = j.find("choices"); choices != j.end() && choices->is_array()) {
    for (const auto& c : *choices) {
      if (!c.is_object()) continue;
      if (non_empty_string(c, "text")) return true;  // text completions
      auto d = c.find("delta");
      if (d == c.end() || !d->is_object()) continue;
      if (non_empty_string(*d, "content") || present(*d, "tool_calls") || present(*d, "function_call") ||
          non_empty_string(*d, "refusal"))
        return true;
    }
    return false;
  }
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return false;
  const auto& t = type->get_ref<const std::string&>();
  return t.ends_with(".delta") || t == "content_block_delta" || t == "response.output_item.added";
}

bool is_error_event(const SseEvent& e) {
  if (e.event == "error") return true;
  const auto j = parse_object(e.data);
  if (!j.is_object()) return false;
  if (j.contains("error")) return true;
  auto type = j.find("type");
  return type != j.end() && type->is_string() && type->get_ref<const std::string&>() == "error";
}

}  // namespace corral::api
