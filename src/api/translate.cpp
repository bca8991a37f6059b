#include "api/translate.hpp"

#include <algorithm>
#include <utility>

#include "api/json_scan.hpp"

namespace corral::api {
namespace {

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
      text.append(block_text.substr(1, block_text.size() - 2));
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
        .append(R"(,"input":)").append(jscan::object_in(args, arguments)).append("}");
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
