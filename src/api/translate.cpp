#include "api/translate.hpp"

#include <algorithm>
#include <utility>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

// "data:<media type>;base64,<data>" split, or nothing.
bool data_url(std::string_view url, std::string& media, std::string& data) {
  if (!url.starts_with("data:")) return false;
  const auto semi = url.find(";base64,");
  if (semi == std::string_view::npos) return false;
  media.assign(url.substr(5, semi - 5));
  data.assign(url.substr(semi + 8));
  return true;
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
    const auto [type, text] = jscan::named_members(part, {"type", "text"}, key);
    if (!is(type, "text")) return;
    if (out.size() > at) out.append("\\n");
    out.append(str_of(text));
  });
}

// A comma before an element that is not the first of the array `out` is writing.
void comma(std::string& out) {
  if (out.back() != '[') out += ',';
}

// A text part (the same in both dialects) holding the string `text` ("" when it is not one), as
// the next element of the array `out` is writing.
void append_text_part(std::string& out, std::string_view text) {
  comma(out);
  out.append(R"({"type":"text","text":")").append(str_of(text)).append("\"}");
}

// One Anthropic block as an OpenAI content part, appended to the array `out` is writing (nothing
// when it has no counterpart).
void append_part_of(std::string& out, std::string_view block, std::string& key) {
  const auto [type, text, source] = jscan::named_members(block, {"type", "text", "source"}, key);
  if (is(type, "text")) return append_text_part(out, text);
  const bool image = is(type, "image");
  if ((!image && !is(type, "document")) || !jscan::is_object(source)) return;
  const auto [kind, media, data, url] =
      jscan::named_members(source, {"type", "media_type", "data", "url"}, key);
  if (is(kind, "text")) return append_text_part(out, data);
  const bool base64 = is(kind, "base64");
  if (!image && !base64) return;
  comma(out);
  out.append(image ? R"({"type":"image_url","image_url":{"url":")" : R"({"type":"file","file":{"file_data":")");
  if (base64) out.append("data:").append(str_of(media)).append(";base64,").append(str_of(data));
  else out.append(str_of(url));
  out.append(image ? "\"}}" : R"(","filename":"document.pdf"}})");
}

// The text a raw string holds: its inside when written without escapes, else decoded into `buf`.
std::string_view text_in(std::string_view string, std::string& buf) {
  return jscan::key_text(inside(string_or(string, kEmpty)), buf);
}

// One OpenAI content part as an Anthropic block, appended to the array `out` is writing (nothing
// when it has no counterpart).
void append_block_of(std::string& out, std::string_view part, std::string& key, std::string& buf) {
  const auto [type, text, image, file] =
      jscan::named_members(part, {"type", "text", "image_url", "file"}, key);
  if (is(type, "text")) return append_text_part(out, text);
  std::string_view url;
  if (is(type, "image_url") && !image.empty()) {
    url = jscan::is_string(image) ? image : jscan::named_members(image, {"url"}, key)[0];
  } else if (is(type, "file") && jscan::is_object(file)) {
    url = jscan::named_members(file, {"file_data"}, key)[0];
  } else {
    return;
  }
  std::string media, data;
  const auto plain = text_in(url, buf);
  const bool inline_data = data_url(plain, media, data);
  if (!inline_data && !is(type, "image_url")) return;
  comma(out);
  if (!inline_data) {
    out.append(R"({"type":"image","source":{"type":"url","url":")").append(str_of(url)).append("\"}}");
    return;
  }
  out.append(is(type, "image_url") ? R"({"type":"image","source":{"type":"base64","media_type":")"
                                   : R"({"type":"document","source":{"type":"base64","media_type":")");
  jscan::append_escaped(out, media);
  out.append(R"(","data":")");
  jscan::append_escaped(out, data);
  out.append("\"}}");
}

// The input of a tool call: its arguments when they are an object, or the object the JSON text in
// them holds (checked strictly: the text was decoded here, no pass has been through it); else {}.
std::string_view tool_input(std::string_view arguments, std::string& buf) {
  if (jscan::is_object(arguments)) return arguments;
  buf.clear();
  if (!jscan::is_string(arguments) || !jscan::decode(arguments, buf)) return "{}";
  const auto object = jscan::trim(buf);
  return jscan::is_object(object) && jscan::value_end(object, 0, true) == object.size() ? object : "{}";
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

std::string chat_to_messages(std::string_view chat, std::string_view model, std::uint64_t default_max_tokens,
                             std::optional<std::uint64_t> max_tokens) {
  std::string key, buf;
  const auto [messages, max_completion, max, stop, temperature, top_p, stream, user, tools,
              tool_choice, parallel] =
      jscan::named_members(
          chat,
          {"messages", "max_completion_tokens", "max_tokens", "stop", "temperature", "top_p",
           "stream", "user", "tools", "tool_choice", "parallel_tool_calls"},
          key);
  // The system and developer messages' texts, as one string or (more than one) a list of blocks.
  std::string system;
  std::size_t system_texts = 0;
  std::string out, blocks;
  out.reserve(chat.size() + 256);
  out.append(R"({"model":")");
  jscan::append_escaped(out, model);
  out.append(R"(","messages":[)");
  bool results_open = false;  // the last turn written holds tool results, and more may join it
  auto close_results = [&] {
    if (results_open) out.append("]}");
    results_open = false;
  };
  jscan::elements_checked(messages, [&](std::string_view m) {
    if (!jscan::is_object(m)) return;
    const auto [role, content, call_id, calls] =
        jscan::named_members(m, {"role", "content", "tool_call_id", "tool_calls"}, key);
    if (is(role, "system") || is(role, "developer")) {
      const auto at = system.size();
      system.append(system.empty() ? R"({"type":"text","text":")" : R"(,{"type":"text","text":")");
      const auto inner = system.size();
      append_text_of(system, content, key);
      if (system.size() == inner) {
        system.resize(at);
      } else {
        system.append("\"}");
        ++system_texts;
      }
    } else if (is(role, "tool")) {
      // Consecutive results go back in one user turn.
      if (results_open) {
        out += ',';
      } else {
        comma(out);
        out.append(R"({"role":"user","content":[)");
        results_open = true;
      }
      out.append(R"({"type":"tool_result","tool_use_id":")").append(str_of(call_id)).append(R"(","content":")");
      append_text_of(out, content, key);
      out.append("\"}");
    } else if (is(role, "assistant")) {
      blocks.assign("[");
      if (jscan::is_text(content)) blocks.append(R"({"type":"text","text":)").append(content).append("}");
      else if (jscan::is_array(content))
        jscan::elements_checked(content, [&](std::string_view part) { append_block_of(blocks, part, key, buf); });
      jscan::elements_checked(calls, [&](std::string_view c) {
        const auto [id, fn] = jscan::named_members(c, {"id", "function"}, key);
        const auto [name, arguments] = jscan::named_members(fn, {"name", "arguments"}, key);
        comma(blocks);
        blocks.append(R"({"type":"tool_use","id":")").append(str_of(id)).append(R"(","name":")").append(str_of(name))
            .append(R"(","input":)").append(tool_input(arguments, buf)).append("}");
      });
      if (blocks.size() == 1) return;
      close_results();
      comma(out);
      out.append(R"({"role":"assistant","content":)").append(blocks).append("]}");
    } else {  // user
      close_results();
      comma(out);
      out.append(R"({"role":"user","content":)");
      if (jscan::is_array(content)) {
        out += '[';
        jscan::elements_checked(content, [&](std::string_view part) { append_block_of(out, part, key, buf); });
        out += ']';
      } else {
        out.append(jscan::is_string(content) ? content : kEmpty);
      }
      out += '}';
    }
  });
  close_results();
  out += ']';
  if (system_texts == 1) {
    // The one block's text, from between {"type":"text","text": and }.
    constexpr std::string_view head = R"({"type":"text","text":)";
    out.append(R"(,"system":)").append(std::string_view(system).substr(head.size(), system.size() - head.size() - 1));
  } else if (system_texts > 1) {
    out.append(R"(,"system":[)").append(system).append("]");
  }
  // The maximum output: the cap, else the first of these that is an unsigned integer.
  if (!max_tokens)
    for (auto v : {max_completion, max}) {
      std::uint64_t n = 0;
      bool negative = false;
      if (jscan::integer(v, n, negative) && !negative) {
        max_tokens = n;
        break;
      }
    }
  out.append(R"(,"max_tokens":)");
  append_number(out, max_tokens.value_or(default_max_tokens));
  if (jscan::is_string(stop)) out.append(R"(,"stop_sequences":[)").append(stop).append("]");
  else if (jscan::is_array(stop)) out.append(R"(,"stop_sequences":)").append(stop);
  if (present(temperature)) out.append(R"(,"temperature":)").append(temperature);
  if (present(top_p)) out.append(R"(,"top_p":)").append(top_p);
  if (present(stream)) out.append(R"(,"stream":)").append(stream);
  if (jscan::is_string(user)) out.append(R"(,"metadata":{"user_id":)").append(user).append("}");
  if (jscan::is_array(tools)) {
    out.append(R"(,"tools":[)");
    jscan::elements_checked(tools, [&](std::string_view t) {
      const auto fn = jscan::named_members(t, {"function"}, key)[0];
      if (fn.empty()) return;
      const auto [name, description, parameters] =
          jscan::named_members(fn, {"name", "description", "parameters"}, key);
      comma(out);
      out.append(R"({"name":")").append(str_of(name)).append(R"(","input_schema":)")
          .append(parameters.empty() ? R"({"type":"object"})" : parameters);
      if (present(description)) out.append(R"(,"description":)").append(description);
      out += '}';
    });
    out += ']';
  }
  // The tool choice, and whether the tools may be used in parallel.
  std::string_view choice;
  std::string_view function;
  if (jscan::is_string(tool_choice)) {
    choice = is(tool_choice, "required") ? R"({"type":"any")" : is(tool_choice, "none") ? R"({"type":"none")"
                                                                                        : R"({"type":"auto")";
  } else if (jscan::is_object(tool_choice)) {
    function = jscan::named_members(tool_choice, {"function"}, key)[0];
    if (!function.empty()) choice = R"({"type":"tool","name":")";
  }
  const bool serial = parallel == "false";
  if (choice.empty() && serial) choice = R"({"type":"auto")";
  if (!choice.empty()) {
    out.append(R"(,"tool_choice":)").append(choice);
    if (!function.empty())
      out.append(str_of(jscan::named_members(function, {"name"}, key)[0])).append("\"");
    if (serial) out.append(R"(,"disable_parallel_tool_use":true)");
    out += '}';
  }
  out += '}';
  return out;
}

std::string messages_to_chat(std::string_view msgs, std::string_view model, std::optional<std::uint64_t> max_tokens) {
  std::string key;
  const auto [system, messages, max, stop, temperature, top_p, metadata, stream, tools,
              tool_choice] =
      jscan::named_members(msgs,
                           {"system", "messages", "max_tokens", "stop_sequences", "temperature",
                            "top_p", "metadata", "stream", "tools", "tool_choice"},
                           key);
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
    const auto [role, written] = jscan::named_members(m, {"role", "content"}, key);
    const auto content = written.empty() ? kEmpty : written;  // absent: ""
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
        const auto [type, block_text, id, call, input] =
            jscan::named_members(b, {"type", "text", "id", "name", "input"}, key);
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
      const auto [type, id, result] =
          jscan::named_members(b, {"type", "tool_use_id", "content"}, key);
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
  if (const auto user = jscan::named_members(metadata, {"user_id"}, key)[0]; present(user))
    out.append(R"(,"user":)").append(user);
  if (stream == "true") out.append(R"(,"stream":true,"stream_options":{"include_usage":true})");
  else if (stream == "false") out.append(R"(,"stream":false)");
  if (jscan::is_array(tools)) {
    out.append(R"(,"tools":[)");
    jscan::elements_checked(tools, [&](std::string_view t) {
      const auto [name, description, schema] =
          jscan::named_members(t, {"name", "description", "input_schema"}, key);
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
    const auto [type, name, parallel] =
        jscan::named_members(tool_choice, {"type", "name", "disable_parallel_tool_use"}, key);
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
  // One pass checks the whole answer and reads its content blocks where it passes them: the text
  // blocks joined (their insides copied as they are; the text, most of the answer, is gone through
  // once), the tool calls set aside. The reads inside what it read pass over what it checked. Of a
  // member written more than once, the last counts.
  const auto message = jscan::trim(body);
  std::string_view id = kEmpty, model = kEmpty, stop, usage;
  std::string text, calls;
  auto read_block = [&](std::string_view s, std::size_t at) {
    if (!jscan::is_object(s.substr(at))) return jscan::value_end(s, at);
    std::string_view type, block_text, call_id = kEmpty, name = kEmpty, input;
    const auto end = jscan::members_at(s, at, [&](std::string_view k, std::string_view v) {
      if (k == "type") type = v;
      else if (k == "text") block_text = v;
      else if (k == "id") call_id = string_or(v, kEmpty);
      else if (k == "name") name = string_or(v, kEmpty);
      else if (k == "input") input = v;
    });
    if (end == jscan::npos) return end;
    if (jscan::string_is(type, "text") && jscan::is_string(block_text)) {
      text.append(inside(block_text));
    } else if (jscan::string_is(type, "tool_use")) {
      calls.append(calls.empty() ? "[" : ",").append(R"({"id":)").append(call_id)
          .append(R"(,"type":"function","function":{"name":)").append(name).append(R"(,"arguments":")");
      jscan::append_escaped(calls, jscan::is_object(input) ? input : "{}");
      calls.append("\"}}");
    }
    return end;
  };
  const auto end = jscan::members_at(message, 0, [&](std::string_view k, std::string_view v) {
    if (k == "id") id = string_or(v, kEmpty);
    else if (k == "model") model = string_or(v, kEmpty);
    else if (k == "stop_reason") stop = v;
    else if (k == "usage") usage = v;
  }, false, [&](std::string_view k, std::string_view s, std::size_t start) {
    if (k != "content") return jscan::value_end(s, start);
    text.clear();
    calls.clear();
    return jscan::is_array(s.substr(start)) ? jscan::elements_at(s, start, read_block) : jscan::value_end(s, start);
  });
  if (end != message.size()) return std::nullopt;
  std::string out;
  out.reserve(body.size() + 320);
  out.append(R"({"id":)").append(id).append(R"(,"object":"chat.completion","created":)");
  append_number(out, created);
  out.append(R"(,"model":)").append(model).append(R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)");
  if (text.empty() && !calls.empty()) out.append("null");
  else out.append("\"").append(text).append("\"");
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
  // One pass checks the whole answer and reads, where it passes them, the first choice and its
  // message (the text, most of the answer, is gone through once); the reads inside what it read
  // pass over what it checked. Of a member written more than once, the last counts.
  const auto completion = jscan::trim(body);
  std::string_view id = kEmpty, model = kEmpty, usage, finish, content, calls;
  auto read_message = [&](std::string_view k, std::string_view s, std::size_t start) {
    if (k != "message" || !jscan::is_object(s.substr(start))) return jscan::value_end(s, start);
    content = calls = {};
    return jscan::members_at(s, start, [&](std::string_view key, std::string_view v) {
      if (key == "content") content = v;
      else if (key == "tool_calls") calls = v;
    });
  };
  auto read_choices = [&](std::string_view k, std::string_view s, std::size_t start) {
    if (k != "choices" || !jscan::is_array(s.substr(start))) return jscan::value_end(s, start);
    finish = content = calls = {};
    bool first = true;
    return jscan::elements_at(s, start, [&](std::string_view s, std::size_t at) {
      if (!std::exchange(first, false) || !jscan::is_object(s.substr(at))) return jscan::value_end(s, at);
      return jscan::members_at(s, at, [&](std::string_view key, std::string_view v) {
        if (key == "finish_reason") finish = v;
      }, false, read_message);
    });
  };
  const auto end = jscan::members_at(completion, 0, [&](std::string_view k, std::string_view v) {
    if (k == "id") id = string_or(v, kEmpty);
    else if (k == "model") model = string_or(v, kEmpty);
    else if (k == "usage") usage = v;
  }, false, read_choices);
  if (end != completion.size()) return std::nullopt;
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
    next_block();
    out.append(R"({"type":"tool_use","id":)").append(call_id).append(R"(,"name":)").append(name)
        .append(R"(,"input":)").append(tool_input(args, arguments)).append("}");
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
