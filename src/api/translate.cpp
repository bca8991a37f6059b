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

// Raw values (of a request a strict pass has checked), read as the document would read them: a
// string compared by what it decodes to, a member absent or of another type as "".
bool is(std::string_view v, std::string_view plain) { return jscan::is_string(v) && jscan::reads(v, plain); }
std::string_view inside(std::string_view string) { return string.substr(1, string.size() - 2); }
std::string_view str_of(std::string_view v) { return inside(string_or(v, kEmpty)); }
bool present(std::string_view v) { return !v.empty() && v != "null"; }

// Appends the inside of a JSON string holding the text of `v`: a string's, or the text parts of
// an array joined by new lines (escapes kept as written; an empty part adds no separator before
// the first text).
void append_text_of(std::string& out, std::string_view v, std::string& key) {
  if (jscan::is_string(v)) {
    out.append(inside(v));
    return;
  }
  const auto at = out.size();
  jscan::elements_checked(v, [&](std::string_view part) {
    std::string_view type, text;
    jscan::members_checked(part, [&](std::string_view k, std::string_view value) {
      const auto name = jscan::key_text(k, key);
      if (name == "type") type = value;
      else if (name == "text") text = value;
    });
    if (!is(type, "text")) return;
    if (out.size() > at) out.append("\\n");
    out.append(str_of(text));
  });
}

// A comma before an element that is not the first of the array `out` is writing.
void comma(std::string& out) {
  if (out.back() != '[') out += ',';
}

// One Anthropic block as an OpenAI content part, appended to the array `out` is writing (nothing
// when it has no counterpart).
void append_part_of(std::string& out, std::string_view block, std::string& key) {
  std::string_view type, text, source;
  jscan::members_checked(block, [&](std::string_view k, std::string_view v) {
    const auto name = jscan::key_text(k, key);
    if (name == "type") type = v;
    else if (name == "text") text = v;
    else if (name == "source") source = v;
  });
  if (is(type, "text")) {
    comma(out);
    out.append(R"({"type":"text","text":")").append(str_of(text)).append("\"}");
    return;
  }
  const bool image = is(type, "image");
  if ((!image && !is(type, "document")) || !jscan::is_object(source)) return;
  std::string_view kind, media, data, url;
  jscan::members_checked(source, [&](std::string_view k, std::string_view v) {
    const auto name = jscan::key_text(k, key);
    if (name == "type") kind = v;
    else if (name == "media_type") media = v;
    else if (name == "data") data = v;
    else if (name == "url") url = v;
  });
  if (is(kind, "text")) {
    comma(out);
    out.append(R"({"type":"text","text":")").append(str_of(data)).append("\"}");
    return;
  }
  const bool base64 = is(kind, "base64");
  if (!image && !base64) return;
  comma(out);
  out.append(image ? R"({"type":"image_url","image_url":{"url":")" : R"({"type":"file","file":{"file_data":")");
  if (base64) out.append("data:").append(str_of(media)).append(";base64,").append(str_of(data));
  else out.append(str_of(url));
  out.append(image ? "\"}}" : R"(","filename":"document.pdf"}})");
}

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

std::string messages_to_chat(std::string_view msgs, std::string_view model, std::optional<std::uint64_t> max_tokens) {
  std::string key;
  std::string_view system, messages, max, stop, temperature, top_p, metadata, stream, tools, tool_choice;
  jscan::members_checked(msgs, [&](std::string_view k, std::string_view v) {
    const auto name = jscan::key_text(k, key);
    if (name == "system") system = v;
    else if (name == "messages") messages = v;
    else if (name == "max_tokens") max = v;
    else if (name == "stop_sequences") stop = v;
    else if (name == "temperature") temperature = v;
    else if (name == "top_p") top_p = v;
    else if (name == "metadata") metadata = v;
    else if (name == "stream") stream = v;
    else if (name == "tools") tools = v;
    else if (name == "tool_choice") tool_choice = v;
  });
  std::string out, text, parts;
  out.reserve(msgs.size() + 256);
  out.append(R"({"model":")");
  jscan::append_escaped(out, model);
  out.append(R"(","messages":[)");
  // The system prompt, as the first message when it has any text.
  if (!system.empty()) {
    const auto at = out.size();
    out.append(R"({"role":"system","content":")");
    const auto inner = out.size();
    append_text_of(out, system, key);
    if (out.size() == inner) out.resize(at);
    else out.append("\"}");
  }
  jscan::elements_checked(messages, [&](std::string_view m) {
    if (!jscan::is_object(m)) return;
    std::string_view role, content = kEmpty;
    jscan::members_checked(m, [&](std::string_view k, std::string_view v) {
      const auto name = jscan::key_text(k, key);
      if (name == "role") role = v;
      else if (name == "content") content = v;
    });
    const bool assistant = is(role, "assistant");
    if (!jscan::is_array(content)) {
      comma(out);
      out.append(assistant ? R"({"role":"assistant","content":)" : R"({"role":"user","content":)")
          .append(content).append("}");
      return;
    }
    if (assistant) {
      // The text blocks joined; the tool uses as tool calls, their input as JSON text.
      text.clear();
      parts.assign("[");
      jscan::elements_checked(content, [&](std::string_view b) {
        std::string_view type, block_text, id, call, input;
        jscan::members_checked(b, [&](std::string_view k, std::string_view v) {
          const auto name = jscan::key_text(k, key);
          if (name == "type") type = v;
          else if (name == "text") block_text = v;
          else if (name == "id") id = v;
          else if (name == "name") call = v;
          else if (name == "input") input = v;
        });
        if (is(type, "text")) {
          text.append(str_of(block_text));
        } else if (is(type, "tool_use")) {
          comma(parts);
          parts.append(R"({"id":")").append(str_of(id)).append(R"(","type":"function","function":{"name":")")
              .append(str_of(call)).append(R"(","arguments":")");
          jscan::append_escaped(parts, input.empty() ? "{}" : input);
          parts.append("\"}}");
        }
      });
      comma(out);
      out.append(R"({"role":"assistant","content":)");
      if (text.empty() && parts.size() > 1) out.append("null");
      else out.append("\"").append(text).append("\"");
      if (parts.size() > 1) out.append(R"(,"tool_calls":)").append(parts).append("]");
      out += '}';
      return;
    }
    // A user turn: its tool results become tool messages (first), the rest one user message.
    parts.assign("[");
    jscan::elements_checked(content, [&](std::string_view b) {
      std::string_view type, id, result = kEmpty;
      jscan::members_checked(b, [&](std::string_view k, std::string_view v) {
        const auto name = jscan::key_text(k, key);
        if (name == "type") type = v;
        else if (name == "tool_use_id") id = v;
        else if (name == "content") result = v;
      });
      if (!is(type, "tool_result")) return append_part_of(parts, b, key);
      comma(out);
      out.append(R"({"role":"tool","tool_call_id":")").append(str_of(id)).append(R"(","content":")");
      append_text_of(out, result, key);
      out.append("\"}");
    });
    if (parts.size() > 1) {
      comma(out);
      out.append(R"({"role":"user","content":)").append(parts).append("]}");
    }
  });
  out += ']';
  if (max_tokens) {
    out.append(R"(,"max_tokens":)");
    append_number(out, *max_tokens);
  } else if (present(max)) {
    out.append(R"(,"max_tokens":)").append(max);
  }
  if (present(stop)) out.append(R"(,"stop":)").append(stop);
  if (present(temperature)) out.append(R"(,"temperature":)").append(temperature);
  if (present(top_p)) out.append(R"(,"top_p":)").append(top_p);
  if (jscan::is_object(metadata)) {
    std::string_view user;
    jscan::members_checked(metadata, [&](std::string_view k, std::string_view v) {
      if (jscan::key_text(k, key) == "user_id") user = v;
    });
    if (present(user)) out.append(R"(,"user":)").append(user);
  }
  if (stream == "true") out.append(R"(,"stream":true,"stream_options":{"include_usage":true})");
  else if (stream == "false") out.append(R"(,"stream":false)");
  if (jscan::is_array(tools)) {
    out.append(R"(,"tools":[)");
    jscan::elements_checked(tools, [&](std::string_view t) {
      std::string_view name, description, schema;
      jscan::members_checked(t, [&](std::string_view k, std::string_view v) {
        const auto member = jscan::key_text(k, key);
        if (member == "name") name = v;
        else if (member == "description") description = v;
        else if (member == "input_schema") schema = v;
      });
      if (schema.empty()) return;  // Anthropic's server tools have no counterpart
      comma(out);
      out.append(R"({"type":"function","function":{"name":")").append(str_of(name)).append(R"(","parameters":)")
          .append(schema);
      if (present(description)) out.append(R"(,"description":)").append(description);
      out.append("}}");
    });
    out += ']';
  }
  if (jscan::is_object(tool_choice)) {
    std::string_view type, name, parallel;
    jscan::members_checked(tool_choice, [&](std::string_view k, std::string_view v) {
      const auto member = jscan::key_text(k, key);
      if (member == "type") type = v;
      else if (member == "name") name = v;
      else if (member == "disable_parallel_tool_use") parallel = v;
    });
    out.append(R"(,"tool_choice":)");
    if (is(type, "any")) out.append(R"("required")");
    else if (is(type, "none")) out.append(R"("none")");
    else if (is(type, "tool"))
      out.append(R"({"type":"function","function":{"name":")").append(str_of(name)).append("\"}}");
    else out.append(R"("auto")");
    if (parallel == "true") out.append(R"(,"parallel_tool_calls":false)");
  }
  out += '}';
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
