#include "api/stream_translate.hpp"

#include "api/translate.hpp"

namespace corral::api {
namespace {

using json = nlohmann::json;

std::string str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t integer(const json& o, const char* key, std::int64_t fallback = 0) {
  if (!o.is_object()) return fallback;
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

const json& member(const json& o, const char* key) {
  static const json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

// The message of an error event, in either dialect's shape.
std::string error_message(const json& j, std::string_view fallback) {
  const auto& err = member(j, "error");
  auto m = str(err, "message");
  return m.empty() ? std::string(fallback) : m;
}

}  // namespace

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

void MessagesToChatStream::chunk(json delta, const json& finish_reason) {
  json c = {{"id", id_},
            {"object", "chat.completion.chunk"},
            {"created", created_},
            {"model", model_},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                      {"finish_reason", finish_reason}}})}};
  out_.append("data: ").append(c.dump()).append("\n\n");
}

void MessagesToChatStream::on_event(const SseEvent& e) {
  if (done_) return;
  const auto j = json::parse(e.data, nullptr, false);
  const auto type = str(j, "type");
  if (e.event == "error" || type == "error") {
    const auto err_type = str(member(j, "error"), "type");
    const json body = {{"error", {{"message", error_message(j, "The provider's stream failed.")},
                                  {"type", err_type.empty() ? "api_error" : err_type},
                                  {"code", err_type.empty() ? "api_error" : err_type}}}};
    out_.append("event: error\ndata: ").append(body.dump()).append("\n\n");
    done_ = true;
    return;
  }
  if (type == "message_start") {
    const auto& m = member(j, "message");
    id_ = str(m, "id");
    model_ = str(m, "model");
    const auto& u = member(m, "usage");
    const auto cache_read = static_cast<std::uint64_t>(integer(u, "cache_read_input_tokens"));
    usage_.prompt_tokens = static_cast<std::uint64_t>(integer(u, "input_tokens") + integer(u, "cache_creation_input_tokens")) +
                           cache_read;
    usage_.cached_tokens = cache_read;
    usage_.completion_tokens = static_cast<std::uint64_t>(integer(u, "output_tokens"));
    chunk({{"role", "assistant"}, {"content", ""}});
  } else if (type == "content_block_start") {
    const auto& block = member(j, "content_block");
    if (str(block, "type") == "tool_use") {
      const auto index = static_cast<std::int64_t>(tool_index_.size());
      tool_index_[integer(j, "index")] = index;
      chunk({{"tool_calls", json::array({{{"index", index},
                                          {"id", str(block, "id")},
                                          {"type", "function"},
                                          {"function", {{"name", str(block, "name")}, {"arguments", ""}}}}})}});
    } else if (auto text = str(block, "text"); !text.empty()) {
      chunk({{"content", text}});
    }
  } else if (type == "content_block_delta") {
    const auto& d = member(j, "delta");
    const auto kind = str(d, "type");
    if (kind == "text_delta") {
      chunk({{"content", str(d, "text")}});
    } else if (kind == "input_json_delta") {
      if (auto it = tool_index_.find(integer(j, "index")); it != tool_index_.end())
        chunk({{"tool_calls", json::array({{{"index", it->second},
                                            {"function", {{"arguments", str(d, "partial_json")}}}}})}});
    }
  } else if (type == "message_delta") {
    const auto& u = member(j, "usage");
    if (u.is_object()) {
      usage_.completion_tokens = static_cast<std::uint64_t>(integer(u, "output_tokens", static_cast<std::int64_t>(usage_.completion_tokens)));
      if (integer(u, "input_tokens") > 0) {  // newer streams give the whole usage here
        const auto cache_read = static_cast<std::uint64_t>(integer(u, "cache_read_input_tokens"));
        usage_.prompt_tokens = static_cast<std::uint64_t>(integer(u, "input_tokens") + integer(u, "cache_creation_input_tokens")) +
                               cache_read;
        usage_.cached_tokens = cache_read;
      }
    }
    chunk(json::object(), finish_reason_of(str(member(j, "delta"), "stop_reason")));
  } else if (type == "message_stop") {
    const json u = {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
                    {"choices", json::array()}, {"usage", openai_usage_json(usage_)}};
    out_.append("data: ").append(u.dump()).append("\n\ndata: [DONE]\n\n");
    done_ = true;
  }
  // ping, content_block_stop: nothing to say in OpenAI's chunks.
}

// --- OpenAI's chunks as Anthropic's events ---

void ChatToMessagesStream::event(std::string_view type, const json& data) {
  out_.append("event: ").append(type).append("\ndata: ").append(data.dump()).append("\n\n");
}

void ChatToMessagesStream::start_message(const json& chunk) {
  started_ = true;
  event("message_start", {{"type", "message_start"},
                          {"message", {{"id", "msg_" + str(chunk, "id")},
                                       {"type", "message"},
                                       {"role", "assistant"},
                                       {"model", str(chunk, "model")},
                                       {"content", json::array()},
                                       {"stop_reason", nullptr},
                                       {"stop_sequence", nullptr},
                                       {"usage", {{"input_tokens", 0}, {"output_tokens", 0}}}}}});
}

void ChatToMessagesStream::open_block(json block) {
  close_block();
  open_ = blocks_++;
  event("content_block_start", {{"type", "content_block_start"}, {"index", open_}, {"content_block", std::move(block)}});
}

void ChatToMessagesStream::close_block() {
  if (open_ < 0) return;
  event("content_block_stop", {{"type", "content_block_stop"}, {"index", open_}});
  open_ = -1;
}

void ChatToMessagesStream::end_message() {
  if (!started_) start_message(json::object());
  close_block();
  event("message_delta", {{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
                          {"usage", anthropic_usage_json(usage_)}});
  event("message_stop", {{"type", "message_stop"}});
  ended_ = true;
}

void ChatToMessagesStream::on_event(const SseEvent& e) {
  if (ended_) return;
  if (e.data == "[DONE]") {
    end_message();
    return;
  }
  const auto j = json::parse(e.data, nullptr, false);
  const auto& err = member(j, "error");
  if (e.event == "error" || (!err.is_null() && err.is_object())) {
    event("error", {{"type", "error"},
                    {"error", {{"type", "api_error"}, {"message", error_message(j, "The provider's stream failed.")}}}});
    ended_ = true;
    return;
  }
  if (!j.is_object()) return;
  if (!started_) start_message(j);
  if (auto u = usage_from(j)) usage_ = *u;
  const auto& choices = member(j, "choices");
  if (!choices.is_array() || choices.empty()) return;
  const auto& choice = choices[0];
  const auto& delta = member(choice, "delta");
  if (auto text = str(delta, "content"); !text.empty()) {
    if (open_ < 0 || !open_is_text_) {
      open_block({{"type", "text"}, {"text", ""}});
      open_is_text_ = true;
    }
    event("content_block_delta",
          {{"type", "content_block_delta"}, {"index", open_}, {"delta", {{"type", "text_delta"}, {"text", text}}}});
  }
  if (const auto& calls = member(delta, "tool_calls"); calls.is_array()) {
    for (const auto& call : calls) {
      const auto index = integer(call, "index");
      const auto& fn = member(call, "function");
      if (!tool_block_.contains(index)) {
        open_block({{"type", "tool_use"}, {"id", str(call, "id")}, {"name", str(fn, "name")}, {"input", json::object()}});
        open_is_text_ = false;
        tool_block_[index] = open_;
      }
      if (auto args = str(fn, "arguments"); !args.empty())
        event("content_block_delta", {{"type", "content_block_delta"},
                                      {"index", tool_block_[index]},
                                      {"delta", {{"type", "input_json_delta"}, {"partial_json", args}}}});
    }
  }
  if (const auto& finish = member(choice, "finish_reason"); finish.is_string()) {
    stop_reason_ = stop_reason_of(finish.get<std::string>());
    close_block();
  }
}

}  // namespace corral::api
