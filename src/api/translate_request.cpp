#include "api/translate_request.hpp"

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

}  // namespace

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
            .append(R"(","input":)").append(jscan::object_in(arguments, buf)).append("}");
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

}  // namespace corral::api
