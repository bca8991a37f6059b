#include "api/stream_translate.hpp"

#include "api/json_scan.hpp"
#include "api/translate.hpp"

namespace corral::api {

using jscan::append_number;
using jscan::string_or;

std::string_view StreamTranslator::feed(std::string_view piece) {
  out_.clear();
  parser_.feed(piece, [this](const SseEvent& e) { on_event(e); });
  return out_;
}

std::string_view StreamTranslator::finish() {
  out_.clear();
  parser_.feed("\n\n", [this](const SseEvent& e) { on_event(e); });
  return out_;
}

// --- Anthropic's events as OpenAI chunks ---

void MessagesToChatStream::begin_chunk() {
  out_.append(head_).append(R"("choices":[{"index":0,"delta":)");
}

void MessagesToChatStream::end_chunk(std::string_view finish) {
  out_.append(R"(,"logprobs":null,"finish_reason":)").append(finish).append("}]}\n\n");
}

void MessagesToChatStream::start(std::string_view message) {
  std::string_view id = "\"\"", model = "\"\"";
  jscan::members_checked(message, [&](std::string_view k, std::string_view v) {
    if (k == "id") id = string_or(v, id);
    else if (k == "model") model = string_or(v, model);
    else if (k == "usage") read_anthropic_usage(v, usage_);
  });
  head_.assign(R"(data: {"id":)").append(id).append(R"(,"object":"chat.completion.chunk","created":)");
  append_number(head_, created_);
  head_.append(R"(,"model":)").append(model).append(",");
  started_ = true;
}

void MessagesToChatStream::on_event(const SseEvent& e) {
  if (done_) return;
  // One pass checks the event's object and finds its type (nothing of a malformed one is used); the
  // reads below pass over what it checked.
  auto data = jscan::trim(e.data);
  std::string_view type;
  if (!jscan::members(data, [&](std::string_view k, std::string_view v) {
        if (k == "type" && type.empty()) type = v;
      }))
    data = type = {};
  if (e.event == "error" || jscan::string_is(type, "error")) {
    const auto err = jscan::member(data, "error");
    const auto kind = string_or(jscan::member(err, "type"), "\"api_error\"");
    out_.append(R"(event: error)" "\n" R"(data: {"error":{"message":)")
        .append(string_or(jscan::member(err, "message"), "\"The provider's stream failed.\""))
        .append(R"(,"type":)").append(kind).append(R"(,"code":)").append(kind).append("}}\n\n");
    done_ = true;
    return;
  }
  if (!jscan::is_string(type)) return;
  if (jscan::string_is(type, "message_start")) {
    start(jscan::member(data, "message"));
    begin_chunk();
    out_.append(R"({"role":"assistant","content":""})");
    end_chunk("null");
    return;
  }
  if (!started_) start("{}");  // a stream without its message_start: ids left empty
  if (jscan::string_is(type, "content_block_start")) {
    std::uint64_t index = 0;
    std::string_view block;
    jscan::members_checked(data, [&](std::string_view k, std::string_view v) {
      if (k == "index") index = jscan::to_unsigned(v);
      else if (k == "content_block") block = v;
    });
    std::string_view kind, id = "\"\"", name = "\"\"", text;
    jscan::members_checked(block, [&](std::string_view k, std::string_view v) {
      if (k == "type") kind = v;
      else if (k == "id") id = string_or(v, id);
      else if (k == "name") name = string_or(v, name);
      else if (k == "text") text = v;
    });
    if (jscan::string_is(kind, "tool_use")) {
      const auto call = static_cast<std::uint64_t>(tool_index_.size());
      tool_index_[index] = call;
      begin_chunk();
      out_.append(R"({"tool_calls":[{"index":)");
      append_number(out_, call);
      out_.append(R"(,"id":)").append(id).append(R"(,"type":"function","function":{"name":)").append(name)
          .append(R"(,"arguments":""}}]})");
      end_chunk("null");
    } else if (jscan::is_text(text)) {
      begin_chunk();
      out_.append(R"({"content":)").append(text).append("}");
      end_chunk("null");
    }
  } else if (jscan::string_is(type, "content_block_delta")) {
    std::uint64_t index = 0;
    std::string_view delta;
    jscan::members_checked(data, [&](std::string_view k, std::string_view v) {
      if (k == "index") index = jscan::to_unsigned(v);
      else if (k == "delta") delta = v;
    });
    std::string_view kind, text, partial;
    jscan::members_checked(delta, [&](std::string_view k, std::string_view v) {
      if (k == "type") kind = v;
      else if (k == "text") text = v;
      else if (k == "partial_json") partial = v;
    });
    if (jscan::string_is(kind, "text_delta") && jscan::is_string(text)) {
      begin_chunk();
      out_.append(R"({"content":)").append(text).append("}");
      end_chunk("null");
    } else if (jscan::string_is(kind, "input_json_delta") && jscan::is_string(partial)) {
      if (auto it = tool_index_.find(index); it != tool_index_.end()) {
        begin_chunk();
        out_.append(R"({"tool_calls":[{"index":)");
        append_number(out_, it->second);
        out_.append(R"(,"function":{"arguments":)").append(partial).append("}}]}");
        end_chunk("null");
      }
    }
  } else if (jscan::string_is(type, "message_delta")) {
    std::string_view stop;
    jscan::members_checked(data, [&](std::string_view k, std::string_view v) {
      if (k == "usage") read_anthropic_usage(v, usage_);
      else if (k == "delta") stop = jscan::member(v, "stop_reason");
    });
    std::string plain;
    if (!jscan::decode(stop, plain)) plain.clear();
    const std::string finish = "\"" + std::string(finish_reason_of(plain)) + "\"";
    begin_chunk();
    out_.append("{}");
    end_chunk(finish);
  } else if (jscan::string_is(type, "message_stop")) {
    out_.append(head_).append(R"("choices":[],"usage":)");
    append_openai_usage(out_, usage_);
    out_.append("}\n\ndata: [DONE]\n\n");
    done_ = true;
  }
  // ping, content_block_stop: nothing to say in OpenAI's chunks.
}

// --- OpenAI's chunks as Anthropic's events ---

void ChatToMessagesStream::event_head(std::string_view type) {
  out_.append("event: ").append(type).append("\ndata: {\"type\":\"").append(type).append("\"");
}

void ChatToMessagesStream::start_message(std::string_view id, std::string_view model) {
  started_ = true;
  event_head("message_start");
  out_.append(R"(,"message":{"id":)");
  if (jscan::is_string(id)) out_.append("\"msg_").append(id.substr(1));
  else out_.append("\"msg_\"");
  out_.append(R"(,"type":"message","role":"assistant","model":)").append(string_or(model, "\"\""))
      .append(R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}})"
              "\n\n");
}

void ChatToMessagesStream::open_block(bool text) {
  close_block();
  open_ = static_cast<std::int64_t>(blocks_++);
  open_is_text_ = text;
}

void ChatToMessagesStream::close_block() {
  if (open_ < 0) return;
  event_head("content_block_stop");
  out_.append(R"(,"index":)");
  append_number(out_, open_);
  out_.append("}\n\n");
  open_ = -1;
}

void ChatToMessagesStream::end_message() {
  if (!started_) start_message({}, {});
  close_block();
  event_head("message_delta");
  out_.append(R"(,"delta":{"stop_reason":")").append(stop_reason_).append(R"(","stop_sequence":null},"usage":)");
  append_anthropic_usage(out_, usage_);
  out_.append("}\n\n");
  event_head("message_stop");
  out_.append("}\n\n");
  ended_ = true;
}

void ChatToMessagesStream::tool_call(std::string_view call) {
  std::uint64_t index = 0;
  std::string_view id = "\"\"", fn;
  jscan::members_checked(call, [&](std::string_view k, std::string_view v) {
    if (k == "index") index = jscan::to_unsigned(v);
    else if (k == "id") id = string_or(v, id);
    else if (k == "function") fn = v;
  });
  std::string_view name = "\"\"", args;
  jscan::members_checked(fn, [&](std::string_view k, std::string_view v) {
    if (k == "name") name = string_or(v, name);
    else if (k == "arguments") args = v;
  });
  auto it = tool_block_.find(index);
  if (it == tool_block_.end()) {
    open_block(false);
    it = tool_block_.emplace(index, static_cast<std::uint64_t>(open_)).first;
    event_head("content_block_start");
    out_.append(R"(,"index":)");
    append_number(out_, it->second);
    out_.append(R"(,"content_block":{"type":"tool_use","id":)").append(id).append(R"(,"name":)").append(name)
        .append(R"(,"input":{}}})" "\n\n");
  }
  if (jscan::is_text(args)) {
    event_head("content_block_delta");
    out_.append(R"(,"index":)");
    append_number(out_, it->second);
    out_.append(R"(,"delta":{"type":"input_json_delta","partial_json":)").append(args).append("}}\n\n");
  }
}

void ChatToMessagesStream::on_event(const SseEvent& e) {
  if (ended_) return;
  if (e.data == "[DONE]") {
    end_message();
    return;
  }
  // One pass checks the event's object and finds its members (nothing of a malformed one is used).
  auto data = jscan::trim(e.data);
  std::string_view id, model, usage, choices, error;
  if (!jscan::members(data, [&](std::string_view k, std::string_view v) {
        if (k == "id") id = v;
        else if (k == "model") model = v;
        else if (k == "usage") usage = v;
        else if (k == "choices") choices = v;
        else if (k == "error") error = v;
      }))
    data = id = model = usage = choices = error = {};
  if (e.event == "error" || jscan::is_object(error)) {
    event_head("error");
    out_.append(R"(,"error":{"type":"api_error","message":)")
        .append(string_or(jscan::member(error, "message"), "\"The provider's stream failed.\""))
        .append("}}\n\n");
    ended_ = true;
    return;
  }
  if (!jscan::is_object(data)) return;
  if (!started_) start_message(id, model);
  if (jscan::is_object(usage)) read_openai_usage(usage, usage_);
  // The first choice's members, read where they are (the choices were checked with the event).
  std::string_view delta, finish;
  if (jscan::is_array(choices) && jscan::members_checked_at(choices, jscan::skip_ws(choices, 1), [&](std::string_view k, std::string_view v) {
        if (k == "delta") delta = v;
        else if (k == "finish_reason") finish = v;
      }) == jscan::npos)
    delta = finish = {};
  std::string_view content, calls;
  jscan::members_checked(delta, [&](std::string_view k, std::string_view v) {
    if (k == "content") content = v;
    else if (k == "tool_calls") calls = v;
  });
  if (jscan::is_text(content)) {
    if (open_ < 0 || !open_is_text_) {
      open_block(true);
      event_head("content_block_start");
      out_.append(R"(,"index":)");
      append_number(out_, open_);
      out_.append(R"(,"content_block":{"type":"text","text":""}})" "\n\n");
    }
    event_head("content_block_delta");
    out_.append(R"(,"index":)");
    append_number(out_, open_);
    out_.append(R"(,"delta":{"type":"text_delta","text":)").append(content).append("}}\n\n");
  }
  if (jscan::is_array(calls)) jscan::elements_checked(calls, [&](std::string_view call) { tool_call(call); });
  if (jscan::is_string(finish)) {
    std::string plain;
    if (jscan::decode(finish, plain)) stop_reason_ = stop_reason_of(plain);
    close_block();
  }
}

}  // namespace corral::api
