#include "anthropic_bodies.hpp"

namespace corral::mock {
namespace {

using json = nlohmann::json;

std::string str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string event(std::string_view type, const json& data) {
  return "event: " + std::string(type) + "\ndata: " + data.dump() + "\n\n";
}

json usage_json(const Shape& s, std::uint64_t cached, std::uint64_t output) {
  cached = std::min(cached, s.prompt_tokens);
  return {{"input_tokens", s.prompt_tokens - cached},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", cached},
          {"output_tokens", output}};
}

// Did the last user turn give back a tool's result?
bool ends_with_tool_result(const json& req, bool anthropic) {
  const auto m = req.find("messages");
  if (m == req.end() || !m->is_array() || m->empty()) return false;
  const auto& last = m->back();
  if (!anthropic) return str(last, "role") == "tool";
  if (!last.contains("content") || !last["content"].is_array()) return false;
  for (const auto& b : last["content"])
    if (str(b, "type") == "tool_result") return true;
  return false;
}

std::string stop_reason(const json& req, const Shape& s, bool tool) {
  if (tool) return "tool_use";
  const auto mt = req.find("max_tokens");
  return mt != req.end() && mt->is_number_unsigned() && mt->get<std::uint64_t>() <= s.completion_tokens ? "max_tokens"
                                                                                                          : "end_turn";
}

}  // namespace

std::uint64_t count_message_tokens(const json& req) {
  std::uint64_t n = 3;
  if (auto s = req.find("system"); s != req.end()) n += content_tokens(*s);
  if (auto m = req.find("messages"); m != req.end() && m->is_array())
    for (const auto& msg : *m) {
      n += 4;
      if (msg.is_object() && msg.contains("content")) n += content_tokens(msg["content"]);
    }
  if (auto tools = req.find("tools"); tools != req.end()) n += text_tokens(tools->dump());
  return n;
}

bool wants_tool(const json& req, bool anthropic) {
  const auto tools = req.find("tools");
  if (tools == req.end() || !tools->is_array() || tools->empty()) return false;
  const auto tc = req.find("tool_choice");
  if (tc != req.end()) {
    const auto type = tc->is_string() ? tc->get<std::string>() : str(*tc, "type");
    if (type == "none") return false;
    if (type == "any" || type == "tool" || type == "required" || type == "function") return true;
  }
  return !ends_with_tool_result(req, anthropic);
}

std::pair<std::string, json> tool_call_of(const json& req, bool anthropic) {
  const auto& tools = req["tools"];
  std::string wanted;
  if (auto tc = req.find("tool_choice"); tc != req.end() && tc->is_object())
    wanted = anthropic ? str(*tc, "name") : str(tc->contains("function") ? (*tc)["function"] : json(), "name");
  const json* chosen = &tools[0];
  for (const auto& t : tools) {
    const auto name = anthropic ? str(t, "name") : str(t.contains("function") ? t["function"] : json(), "name");
    if (name == wanted) chosen = &t;
  }
  const auto& def = anthropic ? *chosen : (chosen->contains("function") ? (*chosen)["function"] : json());
  const auto& schema = anthropic ? (def.contains("input_schema") ? def["input_schema"] : json())
                                 : (def.contains("parameters") ? def["parameters"] : json());
  json input = json::object();
  if (auto req_props = schema.find("required"); schema.is_object() && req_props != schema.end() && req_props->is_array())
    for (const auto& p : *req_props)
      if (p.is_string()) input[p.get<std::string>()] = "mock";
  return {str(def, "name"), input};
}

std::string whole_message(const json& req, const Shape& s, std::uint64_t cached) {
  const bool tool = wants_tool(req, true);
  json content = json::array();
  if (tool) {
    auto [name, input] = tool_call_of(req, true);
    content.push_back({{"type", "tool_use"}, {"id", new_id("toolu_")}, {"name", name}, {"input", input}});
  } else {
    content.push_back({{"type", "text"}, {"text", completion_text(s.completion_tokens)}});
  }
  return json{{"id", new_id("msg_")},
              {"type", "message"},
              {"role", "assistant"},
              {"model", str(req, "model")},
              {"content", std::move(content)},
              {"stop_reason", stop_reason(req, s, tool)},
              {"stop_sequence", nullptr},
              {"usage", usage_json(s, cached, s.completion_tokens)}}
      .dump();
}

EventStream message_events(const json& req, const Shape& s, std::uint64_t cached) {
  const bool tool = wants_tool(req, true);
  std::vector<std::string> head;
  head.push_back(event("message_start", {{"type", "message_start"},
                                         {"message",
                                          {{"id", new_id("msg_")},
                                           {"type", "message"},
                                           {"role", "assistant"},
                                           {"model", str(req, "model")},
                                           {"content", json::array()},
                                           {"stop_reason", nullptr},
                                           {"stop_sequence", nullptr},
                                           {"usage", usage_json(s, cached, 1)}}}}));
  head.push_back(event("ping", {{"type", "ping"}}));
  if (tool) {
    auto [name, input] = tool_call_of(req, true);
    const auto args = input.dump();
    head.push_back(event("content_block_start", {{"type", "content_block_start"},
                                                 {"index", 0},
                                                 {"content_block",
                                                  {{"type", "tool_use"},
                                                   {"id", new_id("toolu_")},
                                                   {"name", name},
                                                   {"input", json::object()}}}}));
    const auto half = args.size() / 2;
    for (const auto& part : {args.substr(0, half), args.substr(half)})
      head.push_back(event("content_block_delta",
                           {{"type", "content_block_delta"},
                            {"index", 0},
                            {"delta", {{"type", "input_json_delta"}, {"partial_json", part}}}}));
  } else {
    head.push_back(
        event("content_block_start", {{"type", "content_block_start"},
                                      {"index", 0},
                                      {"content_block", {{"type", "text"}, {"text", ""}}}}));
  }
  auto delta = [](const std::string& piece, unsigned) {
    return event("content_block_delta", {{"type", "content_block_delta"},
                                         {"index", 0},
                                         {"delta", {{"type", "text_delta"}, {"text", piece}}}});
  };
  std::vector<EventStream::LaterEvent> tail;
  tail.push_back([] {
    return event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  });
  tail.push_back([reason = stop_reason(req, s, tool), output = s.completion_tokens] {
    return event("message_delta", {{"type", "message_delta"},
                                   {"delta", {{"stop_reason", reason}, {"stop_sequence", nullptr}}},
                                   {"usage", {{"output_tokens", output}}}});
  });
  tail.push_back([] { return event("message_stop", {{"type", "message_stop"}}); });
  return EventStream(std::move(head), s.completion_tokens, tool ? 0 : std::max(1u, s.chunks), delta,
                     std::move(tail));
}

std::string anthropic_error(unsigned status, std::string_view message) {
  const char* type = status == 429   ? "rate_limit_error"
                     : status == 529 || status == 503 ? "overloaded_error"
                     : status == 401 ? "authentication_error"
                     : status == 404 ? "not_found_error"
                     : status >= 500 ? "api_error"
                                     : "invalid_request_error";
  return json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
}

}  // namespace corral::mock
