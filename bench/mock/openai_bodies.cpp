#include "openai_bodies.hpp"

#include "anthropic_bodies.hpp"

#include <cctype>
#include <chrono>
#include <cstring>
#include <random>

namespace corral::mock {
namespace {

using json = nlohmann::json;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string model_of(const json& req) {
  auto it = req.find("model");
  return it != req.end() && it->is_string() ? it->get<std::string>() : "mock-model";
}

json chat_usage(const Shape& s) {
  return {{"prompt_tokens", s.prompt_tokens},
          {"completion_tokens", s.completion_tokens},
          {"total_tokens", s.prompt_tokens + s.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", std::min(s.cached_tokens, s.prompt_tokens)}, {"audio_tokens", 0}}},
          {"completion_tokens_details", {{"reasoning_tokens", 0}, {"audio_tokens", 0}}}};
}

json responses_usage(const Shape& s) {
  return {{"input_tokens", s.prompt_tokens},
          {"input_tokens_details", {{"cached_tokens", 0}}},
          {"output_tokens", s.completion_tokens},
          {"output_tokens_details", {{"reasoning_tokens", 0}}},
          {"total_tokens", s.prompt_tokens + s.completion_tokens}};
}

const char* word(std::uint64_t i) {
  static constexpr const char* kWords[] = {"the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog"};
  return kWords[i % 9];
}

std::string sse(const json& data) { return "data: " + data.dump() + "\n\n"; }

std::string sse(std::string_view event, const json& data) {
  return "event: " + std::string(event) + "\ndata: " + data.dump() + "\n\n";
}

// Deterministic pseudo-embedding of a text.
std::vector<float> embed(const std::string& text, std::size_t dims) {
  std::seed_seq seed(text.begin(), text.end());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(dims);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::string base64(const void* data, std::size_t n) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out.push_back(k[v >> 18 & 63]);
    out.push_back(k[v >> 12 & 63]);
    out.push_back(i + 1 < n ? k[v >> 6 & 63] : '=');
    out.push_back(i + 2 < n ? k[v & 63] : '=');
  }
  return out;
}

json response_object(const std::string& id, const std::string& msg_id, const std::string& model,
                     const Shape& s, bool completed) {
  json output = json::array();
  if (completed)
    output.push_back({{"type", "message"},
                      {"id", msg_id},
                      {"status", "completed"},
                      {"role", "assistant"},
                      {"content", json::array({{{"type", "output_text"},
                                                {"text", completion_text(s.completion_tokens)},
                                                {"annotations", json::array()}}})}});
  return {{"id", id},
          {"object", "response"},
          {"created_at", now_s()},
          {"status", completed ? "completed" : "in_progress"},
          {"model", model},
          {"output", output},
          {"parallel_tool_calls", true},
          {"tool_choice", "auto"},
          {"tools", json::array()},
          {"usage", completed ? responses_usage(s) : json(nullptr)}};
}

}  // namespace

std::uint64_t text_tokens(std::string_view text) {
  std::uint64_t tokens = 0, run = 0;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      if (run++ % 6 == 0) ++tokens;
    } else {
      run = 0;
      if (!std::isspace(c)) ++tokens;
    }
  }
  return tokens;
}

// Tokens of a content value: a string, or a list of parts (text, images, token ids).
std::uint64_t content_tokens(const json& v) {
  if (v.is_string()) return text_tokens(v.get_ref<const std::string&>());
  if (v.is_number_integer()) return 1;
  std::uint64_t n = 0;
  if (v.is_array()) {
    for (const auto& item : v) n += content_tokens(item);
  } else if (v.is_object()) {
    const auto type = v.value("type", std::string());
    if (type == "image") n += 85;  // Anthropic's image block
    if (type == "tool_use") n += text_tokens(v.contains("input") ? v["input"].dump() : std::string());
    if (type == "image_url" || type == "input_image") {
      const auto* detail = v.contains("image_url") && v["image_url"].is_object() ? &v["image_url"] : &v;
      n += detail->value("detail", std::string()) == "high" ? 765 : 85;
    }
    for (const char* key : {"text", "content", "input_text", "output_text", "arguments"})
      if (auto it = v.find(key); it != v.end()) n += content_tokens(*it);
  }
  return n;
}
std::uint64_t count_prompt_tokens(Api api, const json& req) {
  if (api == Api::messages) return count_message_tokens(req);
  std::uint64_t n = 0;
  if (auto m = req.find("messages"); m != req.end() && m->is_array()) {
    n += 3;
    for (const auto& msg : *m) {
      n += 4;
      if (!msg.is_object()) continue;
      for (const char* key : {"content", "name"})
        if (auto it = msg.find(key); it != msg.end()) n += content_tokens(*it);
      if (auto calls = msg.find("tool_calls"); calls != msg.end()) n += text_tokens(calls->dump());
    }
  }
  for (const char* key : {"prompt", "input", "instructions"})
    if (auto it = req.find(key); it != req.end()) n += content_tokens(*it);
  if (auto tools = req.find("tools"); tools != req.end()) n += text_tokens(tools->dump());
  (void)api;
  return std::max<std::uint64_t>(1, n);
}

std::uint64_t capped_completion_tokens(const json& req, std::uint64_t wanted) {
  for (const char* key : {"max_completion_tokens", "max_tokens", "max_output_tokens"})
    if (auto it = req.find(key); it != req.end() && it->is_number_unsigned())
      return std::min<std::uint64_t>(wanted, it->get<std::uint64_t>());
  return wanted;
}

std::string new_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id.push_back(k[rng() % 62]);
  return id;
}

std::string completion_text(std::uint64_t tokens) { return text_piece(tokens, 1, 0); }

std::string text_piece(std::uint64_t tokens, unsigned parts, unsigned k) {
  parts = std::max(1u, parts);
  std::string piece;
  for (std::uint64_t i = tokens * k / parts, end = tokens * (k + 1) / parts; i < end; ++i) {
    if (i > 0) piece.push_back(' ');
    piece += word(i);
  }
  return piece;
}

EventStream::EventStream(std::vector<std::string> head, std::uint64_t tokens, unsigned pieces,
                         PieceEvent piece_event, std::vector<LaterEvent> tail)
    : head_(std::move(head)),
      tokens_(tokens),
      pieces_(pieces),
      piece_event_(std::move(piece_event)),
      tail_(std::move(tail)) {}

std::string EventStream::event(std::size_t i) const {
  if (i < head_.size()) return head_[i];
  i -= head_.size();
  if (i < pieces_) {
    const auto k = static_cast<unsigned>(i);
    return piece_event_(text_piece(tokens_, pieces_, k), k);
  }
  return tail_.at(i - pieces_)();
}

std::vector<std::string> EventStream::all() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.push_back(event(i));
  return out;
}

std::string whole_answer(Api api, const json& req, const Shape& s) {
  switch (api) {
    case Api::chat:
      if (wants_tool(req, false)) {  // a tool call instead of text
        auto [name, input] = tool_call_of(req, false);
        json call = {{"id", new_id("call_")}, {"type", "function"},
                     {"function", {{"name", name}, {"arguments", input.dump()}}}};
        return json{{"id", new_id("chatcmpl-")},
                    {"object", "chat.completion"},
                    {"created", now_s()},
                    {"model", model_of(req)},
                    {"choices", json::array({{{"index", 0},
                                              {"message", {{"role", "assistant"}, {"content", nullptr},
                                                           {"tool_calls", json::array({call})}, {"refusal", nullptr}}},
                                              {"logprobs", nullptr},
                                              {"finish_reason", "tool_calls"}}})},
                    {"usage", chat_usage(s)}}
            .dump();
      }
      return json{{"id", new_id("chatcmpl-")},
                  {"object", "chat.completion"},
                  {"created", now_s()},
                  {"model", model_of(req)},
                  {"system_fingerprint", "fp_mock"},
                  {"choices", json::array({{{"index", 0},
                                            {"message", {{"role", "assistant"},
                                                         {"content", completion_text(s.completion_tokens)},
                                                         {"refusal", nullptr}}},
                                            {"logprobs", nullptr},
                                            {"finish_reason", "stop"}}})},
                  {"usage", chat_usage(s)}}
          .dump();
    case Api::completions:
      return json{{"id", new_id("cmpl-")},
                  {"object", "text_completion"},
                  {"created", now_s()},
                  {"model", model_of(req)},
                  {"choices", json::array({{{"index", 0},
                                            {"text", completion_text(s.completion_tokens)},
                                            {"logprobs", nullptr},
                                            {"finish_reason", "stop"}}})},
                  {"usage", {{"prompt_tokens", s.prompt_tokens},
                             {"completion_tokens", s.completion_tokens},
                             {"total_tokens", s.prompt_tokens + s.completion_tokens}}}}
          .dump();
    case Api::embeddings: {
      std::vector<std::string> inputs;
      if (auto in = req.find("input"); in != req.end()) {
        if (in->is_string()) inputs.push_back(in->get<std::string>());
        else if (in->is_array())
          for (const auto& x : *in) inputs.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      }
      std::size_t dims = 16;
      if (auto d = req.find("dimensions"); d != req.end() && d->is_number_unsigned())
        dims = std::clamp<std::size_t>(d->get<std::size_t>(), 1, 4096);
      const bool b64 = req.value("encoding_format", std::string("float")) == "base64";
      json data = json::array();
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto v = embed(inputs[i], dims);
        data.push_back({{"object", "embedding"},
                        {"index", i},
                        {"embedding", b64 ? json(base64(v.data(), v.size() * sizeof(float))) : json(v)}});
      }
      return json{{"object", "list"},
                  {"data", data},
                  {"model", model_of(req)},
                  {"usage", {{"prompt_tokens", s.prompt_tokens}, {"total_tokens", s.prompt_tokens}}}}
          .dump();
    }
    case Api::responses:
      return response_object(new_id("resp_"), new_id("msg_"), model_of(req), s, true).dump();
    case Api::messages:
      return whole_message(req, s, s.cached_tokens);
  }
  return "{}";
}

EventStream stream_events(Api api, const json& req, const Shape& s) {
  if (api == Api::messages) return message_events(req, s, s.cached_tokens);
  const auto pieces = std::max(1u, s.chunks);
  const auto model = model_of(req);
  if (api == Api::responses) {
    const auto id = new_id("resp_"), msg = new_id("msg_");
    // Numbered in order: the created event 0, the pieces 1 to `pieces`, the completed event last.
    std::vector<std::string> head{
        sse("response.created", {{"type", "response.created"},
                                 {"sequence_number", 0},
                                 {"response", response_object(id, msg, model, s, false)}})};
    auto delta = [msg](const std::string& p, unsigned k) {
      return sse("response.output_text.delta", {{"type", "response.output_text.delta"},
                                                {"sequence_number", k + 1},
                                                {"item_id", msg},
                                                {"output_index", 0},
                                                {"content_index", 0},
                                                {"delta", p}});
    };
    auto completed = [id, msg, model, s, last = std::uint64_t{pieces} + 1] {
      return sse("response.completed", {{"type", "response.completed"},
                                        {"sequence_number", last},
                                        {"response", response_object(id, msg, model, s, true)}});
    };
    return EventStream(std::move(head), s.completion_tokens, pieces, delta, {completed});
  }
  const bool chat = api == Api::chat;
  auto chunk = [chat, id = new_id(chat ? "chatcmpl-" : "cmpl-"), created = now_s(), model,
                include_usage = s.include_usage](json choice) {
    json c = {{"id", id},
              {"object", chat ? "chat.completion.chunk" : "text_completion"},
              {"created", created},
              {"model", model},
              {"choices", json::array({std::move(choice)})}};
    if (chat) c["system_fingerprint"] = "fp_mock";
    if (include_usage) c["usage"] = nullptr;
    return c;
  };
  std::vector<std::string> head;
  if (chat)
    head.push_back(sse(chunk({{"index", 0},
                              {"delta", {{"role", "assistant"}, {"content", ""}}},
                              {"logprobs", nullptr},
                              {"finish_reason", nullptr}})));
  const bool tool = chat && wants_tool(req, false);
  if (tool) {  // the call's id and name, then its arguments in two pieces
    auto [name, input] = tool_call_of(req, false);
    const auto args = input.dump();
    head.push_back(sse(chunk(
        {{"index", 0},
         {"delta",
          {{"tool_calls", json::array({{{"index", 0},
                                        {"id", new_id("call_")},
                                        {"type", "function"},
                                        {"function", {{"name", name}, {"arguments", ""}}}}})}}},
         {"logprobs", nullptr},
         {"finish_reason", nullptr}})));
    for (const auto& part : {args.substr(0, args.size() / 2), args.substr(args.size() / 2)})
      head.push_back(sse(chunk(
          {{"index", 0},
           {"delta",
            {{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", part}}}}})}}},
           {"logprobs", nullptr},
           {"finish_reason", nullptr}})));
  }
  auto piece = [chat, chunk](const std::string& p, unsigned) {
    return sse(
        chat ? chunk({{"index", 0},
                      {"delta", {{"content", p}}},
                      {"logprobs", nullptr},
                      {"finish_reason", nullptr}})
             : chunk(
                   {{"index", 0}, {"text", p}, {"logprobs", nullptr}, {"finish_reason", nullptr}}));
  };
  std::vector<EventStream::LaterEvent> tail;
  tail.push_back([chat, tool, chunk] {
    return sse(
        chat ? chunk({{"index", 0},
                      {"delta", json::object()},
                      {"logprobs", nullptr},
                      {"finish_reason", tool ? "tool_calls" : "stop"}})
             : chunk(
                   {{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", "stop"}}));
  });
  if (s.include_usage)
    tail.push_back([chunk, s] {
      auto u = chunk(json::object());
      u["choices"] = json::array();
      u.erase("system_fingerprint");
      u["usage"] = chat_usage(s);
      return sse(u);
    });
  tail.push_back([] { return std::string("data: [DONE]\n\n"); });
  return EventStream(std::move(head), s.completion_tokens, tool ? 0 : pieces, piece,
                     std::move(tail));
}

std::string error_answer(unsigned status, std::string_view message) {
  const char* type = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}.dump();
}

std::string models_answer(const std::vector<std::string>& ids) {
  json data = json::array();
  for (const auto& id : ids) data.push_back({{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "mock"}});
  return json{{"object", "list"}, {"data", data}}.dump();
}

}  // namespace corral::mock
