#include "api/translate.hpp"

#include <algorithm>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

using json = nlohmann::json;

// A member that is a string, or "" (whatever the value's shape: bodies come from outside).
std::string str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  std::string out;
  if (v.is_array())
    for (const auto& part : v)
      if (part.is_object() && str(part, "type") == "text") {
        if (!out.empty()) out += "\n";
        out += str(part, "text");
      }
  return out;
}

// "data:<media type>;base64,<data>" split, or nothing.
bool data_url(std::string_view url, std::string& media, std::string& data) {
  if (!url.starts_with("data:")) return false;
  const auto semi = url.find(";base64,");
  if (semi == std::string_view::npos) return false;
  media.assign(url.substr(5, semi - 5));
  data.assign(url.substr(semi + 8));
  return true;
}

// One OpenAI content part as an Anthropic block (null when it has no counterpart).
json block_of(const json& part) {
  const auto type = str(part, "type");
  if (type == "text") return {{"type", "text"}, {"text", str(part, "text")}};
  std::string media, data;
  if (type == "image_url" && part.contains("image_url")) {
    const auto& iu = part["image_url"];
    const auto url = iu.is_string() ? iu.get<std::string>() : str(iu, "url");
    if (data_url(url, media, data))
      return {{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", media}, {"data", data}}}};
    return {{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
  }
  if (type == "file" && part.contains("file") && part["file"].is_object() &&
      data_url(str(part["file"], "file_data"), media, data))
    return {{"type", "document"}, {"source", {{"type", "base64"}, {"media_type", media}, {"data", data}}}};
  return nullptr;
}

// One Anthropic block as an OpenAI content part (null when it has no counterpart).
json part_of(const json& block) {
  const auto type = str(block, "type");
  if (type == "text") return {{"type", "text"}, {"text", str(block, "text")}};
  if ((type == "image" || type == "document") && block.contains("source") && block["source"].is_object()) {
    const auto& src = block["source"];
    const auto kind = str(src, "type");
    if (kind == "text") return {{"type", "text"}, {"text", str(src, "data")}};
    std::string url = kind == "base64" ? "data:" + str(src, "media_type") + ";base64," +
                                             str(src, "data")
                                       : str(src, "url");
    if (type == "image") return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
    if (kind == "base64") return {{"type", "file"}, {"file", {{"file_data", url}, {"filename", "document.pdf"}}}};
  }
  return nullptr;
}

json parse_arguments(const json& arguments) {
  if (arguments.is_object()) return arguments;
  if (!arguments.is_string()) return json::object();
  auto j = json::parse(arguments.get<std::string>(), nullptr, false);
  return j.is_object() ? j : json::object();
}

void copy_if(const json& from, json& to, const char* key, const char* as = nullptr) {
  if (auto it = from.find(key); it != from.end() && !it->is_null()) to[as ? as : key] = *it;
}

constexpr std::string_view kEmpty = R"("")";

using jscan::append_number;
using jscan::string_or;

}  // namespace

std::string_view finish_reason_of(std::string_view stop_reason) {
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

std::string_view stop_reason_of(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

void append_anthropic_usage(std::string& out, const Usage& u) {
  const auto cached = std::min(u.cached_tokens, u.prompt_tokens);
  out += R"({"input_tokens":)";
  append_number(out, u.prompt_tokens - cached);
  out += R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":)";
  append_number(out, cached);
  out += R"(,"output_tokens":)";
  append_number(out, u.completion_tokens);
  out += '}';
}

void append_openai_usage(std::string& out, const Usage& u) {
  out += R"({"prompt_tokens":)";
  append_number(out, u.prompt_tokens);
  out += R"(,"completion_tokens":)";
  append_number(out, u.completion_tokens);
  out += R"(,"total_tokens":)";
  append_number(out, u.prompt_tokens + u.completion_tokens);
  out += R"(,"prompt_tokens_details":{"cached_tokens":)";
  append_number(out, u.cached_tokens);
  out += "}}";
}

void read_anthropic_usage(std::string_view usage, Usage& u) {
  std::uint64_t input = 0, created = 0, read = 0;
  bool has_input = false;
  jscan::members_checked(usage, [&](std::string_view k, std::string_view v) {
    if (k == "input_tokens") input = jscan::to_unsigned(v), has_input = true;
    else if (k == "cache_creation_input_tokens") created = jscan::to_unsigned(v), has_input = true;
    else if (k == "cache_read_input_tokens") read = jscan::to_unsigned(v), has_input = true;
    else if (k == "output_tokens") u.completion_tokens = jscan::to_unsigned(v);
  });
  if (has_input && input + created + read > 0) {
    u.prompt_tokens = input + created + read;
    u.cached_tokens = read;
  }
}

void read_openai_usage(std::string_view usage, Usage& u) {
  jscan::members_checked(usage, [&](std::string_view k, std::string_view v) {
    if (k == "prompt_tokens") u.prompt_tokens = jscan::to_unsigned(v);
    else if (k == "completion_tokens") u.completion_tokens = jscan::to_unsigned(v);
    else if (k == "prompt_tokens_details") u.cached_tokens = jscan::to_unsigned(jscan::member(v, "cached_tokens"));
  });
}

json chat_to_messages(const json& chat, std::uint64_t default_max_tokens) {
  json out = json::object();
  copy_if(chat, out, "model");
  json system = json::array(), messages = json::array();
  const auto empty = json::array();
  const auto& in = chat.contains("messages") && chat["messages"].is_array() ? chat["messages"] : empty;
  for (const auto& m : in) {
    if (!m.is_object()) continue;
    const auto role = str(m, "role");
    const auto content = m.contains("content") ? m["content"] : json(nullptr);
    if (role == "system" || role == "developer") {
      if (auto t = text_of(content); !t.empty()) system.push_back({{"type", "text"}, {"text", t}});
    } else if (role == "tool") {
      json result = {{"type", "tool_result"}, {"tool_use_id", str(m, "tool_call_id")},
                     {"content", text_of(content)}};
      // Consecutive results go back in one user turn.
      if (!messages.empty() && messages.back()["role"] == "user" && messages.back()["content"].is_array() &&
          !messages.back()["content"].empty() && str(messages.back()["content"].back(), "type") == "tool_result")
        messages.back()["content"].push_back(std::move(result));
      else
        messages.push_back({{"role", "user"}, {"content", json::array({std::move(result)})}});
    } else if (role == "assistant") {
      json blocks = json::array();
      if (content.is_string() && !content.get_ref<const std::string&>().empty())
        blocks.push_back({{"type", "text"}, {"text", content}});
      else if (content.is_array())
        for (const auto& part : content)
          if (auto b = block_of(part); !b.is_null()) blocks.push_back(std::move(b));
      if (auto calls = m.find("tool_calls"); calls != m.end() && calls->is_array())
        for (const auto& c : *calls) {
          const auto& fn = c.contains("function") ? c["function"] : json::object();
          blocks.push_back({{"type", "tool_use"},
                            {"id", str(c, "id")},
                            {"name", str(fn, "name")},
                            {"input", parse_arguments(fn.contains("arguments") ? fn["arguments"] : json())}});
        }
      if (!blocks.empty()) messages.push_back({{"role", "assistant"}, {"content", std::move(blocks)}});
    } else {  // user
      if (content.is_array()) {
        json blocks = json::array();
        for (const auto& part : content)
          if (auto b = block_of(part); !b.is_null()) blocks.push_back(std::move(b));
        messages.push_back({{"role", "user"}, {"content", std::move(blocks)}});
      } else {
        messages.push_back({{"role", "user"}, {"content", content.is_string() ? content : json("")}});
      }
    }
  }
  if (system.size() == 1) out["system"] = system[0]["text"];
  else if (!system.empty()) out["system"] = std::move(system);
  out["messages"] = std::move(messages);
  std::uint64_t max_tokens = default_max_tokens;
  for (const char* key : {"max_completion_tokens", "max_tokens"})
    if (auto it = chat.find(key); it != chat.end() && it->is_number_unsigned()) {
      max_tokens = it->get<std::uint64_t>();
      break;
    }
  out["max_tokens"] = max_tokens;
  if (auto stop = chat.find("stop"); stop != chat.end()) {
    if (stop->is_string()) out["stop_sequences"] = json::array({*stop});
    else if (stop->is_array()) out["stop_sequences"] = *stop;
  }
  copy_if(chat, out, "temperature");
  copy_if(chat, out, "top_p");
  copy_if(chat, out, "stream");
  if (auto user = chat.find("user"); user != chat.end() && user->is_string()) out["metadata"] = {{"user_id", *user}};
  if (auto tools = chat.find("tools"); tools != chat.end() && tools->is_array()) {
    json list = json::array();
    for (const auto& t : *tools) {
      if (!t.is_object() || !t.contains("function")) continue;
      const auto& fn = t["function"];
      json tool = {{"name", str(fn, "name")},
                   {"input_schema", fn.contains("parameters") ? fn["parameters"] : json{{"type", "object"}}}};
      copy_if(fn, tool, "description");
      list.push_back(std::move(tool));
    }
    out["tools"] = std::move(list);
  }
  json choice = nullptr;
  if (auto tc = chat.find("tool_choice"); tc != chat.end()) {
    if (tc->is_string()) {
      const auto s = tc->get<std::string>();
      choice = {{"type", s == "required" ? "any" : s == "none" ? "none" : "auto"}};
    } else if (tc->is_object() && tc->contains("function")) {
      choice = {{"type", "tool"}, {"name", str((*tc)["function"], "name")}};
    }
  }
  if (auto p = chat.find("parallel_tool_calls"); p != chat.end() && p->is_boolean() && !p->get<bool>()) {
    if (choice.is_null()) choice = {{"type", "auto"}};
    choice["disable_parallel_tool_use"] = true;
  }
  if (!choice.is_null()) out["tool_choice"] = std::move(choice);
  return out;
}

json messages_to_chat(const json& msgs) {
  json out = json::object();
  copy_if(msgs, out, "model");
  json messages = json::array();
  if (auto s = msgs.find("system"); s != msgs.end())
    if (auto t = text_of(*s); !t.empty()) messages.push_back({{"role", "system"}, {"content", t}});
  const auto empty = json::array();
  const auto& in = msgs.contains("messages") && msgs["messages"].is_array() ? msgs["messages"] : empty;
  for (const auto& m : in) {
    if (!m.is_object()) continue;
    const auto role = str(m, "role");
    const auto content = m.contains("content") ? m["content"] : json("");
    if (!content.is_array()) {
      messages.push_back({{"role", role == "assistant" ? "assistant" : "user"}, {"content", content}});
      continue;
    }
    if (role == "assistant") {
      std::string text;
      json calls = json::array();
      for (const auto& b : content) {
        const auto type = str(b, "type");
        if (type == "text") text += str(b, "text");
        else if (type == "tool_use")
          calls.push_back({{"id", str(b, "id")},
                           {"type", "function"},
                           {"function", {{"name", str(b, "name")},
                                         {"arguments", (b.contains("input") ? b["input"] : json::object()).dump()}}}});
      }
      json msg = {{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? json(nullptr) : json(text)}};
      if (!calls.empty()) msg["tool_calls"] = std::move(calls);
      messages.push_back(std::move(msg));
      continue;
    }
    // A user turn: its tool results become tool messages (first), the rest one user message.
    json parts = json::array();
    for (const auto& b : content) {
      if (str(b, "type") == "tool_result") {
        messages.push_back({{"role", "tool"},
                            {"tool_call_id", str(b, "tool_use_id")},
                            {"content", text_of(b.contains("content") ? b["content"] : json(""))}});
      } else if (auto p = part_of(b); !p.is_null()) {
        parts.push_back(std::move(p));
      }
    }
    if (!parts.empty()) messages.push_back({{"role", "user"}, {"content", std::move(parts)}});
  }
  out["messages"] = std::move(messages);
  copy_if(msgs, out, "max_tokens");
  copy_if(msgs, out, "stop_sequences", "stop");
  copy_if(msgs, out, "temperature");
  copy_if(msgs, out, "top_p");
  if (auto meta = msgs.find("metadata"); meta != msgs.end() && meta->is_object()) copy_if(*meta, out, "user_id", "user");
  if (auto st = msgs.find("stream"); st != msgs.end() && st->is_boolean()) {
    out["stream"] = *st;
    if (st->get<bool>()) out["stream_options"] = {{"include_usage", true}};
  }
  if (auto tools = msgs.find("tools"); tools != msgs.end() && tools->is_array()) {
    json list = json::array();
    for (const auto& t : *tools) {
      if (!t.is_object() || !t.contains("input_schema")) continue;  // Anthropic's server tools have no counterpart
      json fn = {{"name", str(t, "name")}, {"parameters", t["input_schema"]}};
      copy_if(t, fn, "description");
      list.push_back({{"type", "function"}, {"function", std::move(fn)}});
    }
    out["tools"] = std::move(list);
  }
  if (auto tc = msgs.find("tool_choice"); tc != msgs.end() && tc->is_object()) {
    const auto type = str(*tc, "type");
    if (type == "any") out["tool_choice"] = "required";
    else if (type == "none") out["tool_choice"] = "none";
    else if (type == "tool") out["tool_choice"] = {{"type", "function"}, {"function", {{"name", str(*tc, "name")}}}};
    else out["tool_choice"] = "auto";
    if (auto d = tc->find("disable_parallel_tool_use"); d != tc->end() && d->is_boolean() && d->get<bool>())
      out["parallel_tool_calls"] = false;
  }
  return out;
}

std::optional<std::string> message_to_chat_completion(std::string_view body, std::int64_t created) {
  // One pass checks the whole answer; the reads inside it pass over what it checked.
  const auto message = jscan::whole(body);
  if (!jscan::is_object(message)) return std::nullopt;
  std::string_view id = kEmpty, model = kEmpty, content, stop, usage;
  jscan::members_checked(message, [&](std::string_view k, std::string_view v) {
    if (k == "id") id = string_or(v, kEmpty);
    else if (k == "model") model = string_or(v, kEmpty);
    else if (k == "content") content = v;
    else if (k == "stop_reason") stop = v;
    else if (k == "usage") usage = v;
  });
  std::string out;
  out.reserve(body.size() + 320);
  out.append(R"({"id":)").append(id).append(R"(,"object":"chat.completion","created":)");
  append_number(out, created);
  out.append(R"(,"model":)").append(model).append(R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")");
  // The text blocks joined (their insides copied as they are), the tool calls set aside.
  const auto text_at = out.size();
  std::string calls;
  jscan::elements_checked(content, [&](std::string_view block) {
    std::string_view type, text, call_id = kEmpty, name = kEmpty, input;
    jscan::members_checked(block, [&](std::string_view k, std::string_view v) {
      if (k == "type") type = v;
      else if (k == "text") text = v;
      else if (k == "id") call_id = string_or(v, kEmpty);
      else if (k == "name") name = string_or(v, kEmpty);
      else if (k == "input") input = v;
    });
    if (jscan::string_is(type, "text") && jscan::is_string(text)) {
      out.append(text.substr(1, text.size() - 2));
    } else if (jscan::string_is(type, "tool_use")) {
      calls.append(calls.empty() ? "[" : ",").append(R"({"id":)").append(call_id)
          .append(R"(,"type":"function","function":{"name":)").append(name).append(R"(,"arguments":")");
      jscan::append_escaped(calls, jscan::is_object(input) ? input : "{}");
      calls.append("\"}}");
    }
  });
  if (out.size() == text_at && !calls.empty()) {
    out.resize(text_at - 1);
    out.append("null");
  } else {
    out += '"';
  }
  out.append(R"(,"refusal":null)");
  if (!calls.empty()) out.append(R"(,"tool_calls":)").append(calls).append("]");
  std::string reason;
  if (!jscan::decode(stop, reason)) reason.clear();
  out.append(R"(},"logprobs":null,"finish_reason":")").append(finish_reason_of(reason)).append(R"("}],"usage":)");
  Usage u;
  read_anthropic_usage(usage, u);
  append_openai_usage(out, u);
  out += '}';
  return out;
}

std::optional<std::string> chat_completion_to_message(std::string_view body) {
  // One pass checks the whole answer; the reads inside it pass over what it checked.
  const auto completion = jscan::whole(body);
  if (!jscan::is_object(completion)) return std::nullopt;
  std::string_view id = kEmpty, model = kEmpty, choices, usage;
  jscan::members_checked(completion, [&](std::string_view k, std::string_view v) {
    if (k == "id") id = string_or(v, kEmpty);
    else if (k == "model") model = string_or(v, kEmpty);
    else if (k == "choices") choices = v;
    else if (k == "usage") usage = v;
  });
  std::string_view finish, message;
  jscan::members_checked(jscan::first_element_checked(choices), [&](std::string_view k, std::string_view v) {
    if (k == "finish_reason") finish = v;
    else if (k == "message") message = v;
  });
  std::string_view content, calls;
  jscan::members_checked(message, [&](std::string_view k, std::string_view v) {
    if (k == "content") content = v;
    else if (k == "tool_calls") calls = v;
  });
  std::string out;
  out.reserve(body.size() + 256);
  out.append(R"({"id":)").append(id).append(R"(,"type":"message","role":"assistant","model":)").append(model)
      .append(R"(,"content":[)");
  bool first = true;
  auto next_block = [&] {
    if (!first) out += ',';
    first = false;
  };
  // The content: a string, or text parts joined by new lines.
  if (jscan::is_text(content)) {
    next_block();
    out.append(R"({"type":"text","text":)").append(content).append("}");
  } else if (jscan::is_array(content)) {
    const auto at = out.size();
    out.append(R"({"type":"text","text":")");
    const auto inside = out.size();
    jscan::elements_checked(content, [&](std::string_view part) {
      std::string_view type, text;
      jscan::members_checked(part, [&](std::string_view k, std::string_view v) {
        if (k == "type") type = v;
        else if (k == "text") text = v;
      });
      if (!jscan::string_is(type, "text")) return;
      if (out.size() > inside) out.append("\\n");
      if (jscan::is_string(text)) out.append(text.substr(1, text.size() - 2));
    });
    if (out.size() == inside) {
      out.resize(at);
    } else {
      first = false;
      out.append("\"}");
    }
  }
  std::string arguments;
  jscan::elements_checked(calls, [&](std::string_view call) {
    std::string_view call_id = kEmpty, fn;
    jscan::members_checked(call, [&](std::string_view k, std::string_view v) {
      if (k == "id") call_id = string_or(v, kEmpty);
      else if (k == "function") fn = v;
    });
    std::string_view name = kEmpty, args;
    jscan::members_checked(fn, [&](std::string_view k, std::string_view v) {
      if (k == "name") name = string_or(v, kEmpty);
      else if (k == "arguments") args = v;
    });
    // The arguments are JSON text in a string: the object it holds, or {} when it holds none.
    std::string_view object = "{}";
    arguments.clear();
    if (jscan::is_object(args)) object = args;
    else if (jscan::decode(args, arguments))
      if (const auto decoded = jscan::whole(arguments); jscan::is_object(decoded)) object = decoded;
    next_block();
    out.append(R"({"type":"tool_use","id":)").append(call_id).append(R"(,"name":)").append(name)
        .append(R"(,"input":)").append(object).append("}");
  });
  std::string reason;
  if (!jscan::decode(finish, reason)) reason = "stop";
  out.append(R"(],"stop_reason":")").append(stop_reason_of(reason))
      .append(R"(","stop_sequence":null,"usage":)");
  Usage u;
  read_openai_usage(usage, u);
  append_anthropic_usage(out, u);
  out += '}';
  return out;
}

}  // namespace corral::api
