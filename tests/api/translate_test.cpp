#include "api/translate.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/dialect.hpp"
#include "api/sse_parser.hpp"
#include "api/stream_translate.hpp"

namespace corral::api {
namespace {

using json = nlohmann::json;

TEST(TranslateAnswer, BothWaysWithToolsStopReasonsAndUsage) {
  const std::string message = (R"({"id":"msg_1","type":"message","role":"assistant","model":"claude",
    "content":[{"type":"text","text":"Calling."},{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}],
    "stop_reason":"tool_use","stop_sequence":null,
    "usage":{"input_tokens":10,"cache_read_input_tokens":90,"cache_creation_input_tokens":5,"output_tokens":7}})");
  const auto chat = json::parse(message_to_chat_completion(message, 1700000000).value());
  EXPECT_EQ(chat["object"], "chat.completion");
  EXPECT_EQ(chat["id"], "msg_1");
  const auto& choice = chat["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["content"], "Calling.");
  EXPECT_EQ(choice["message"]["tool_calls"][0]["function"]["arguments"], R"({"a":1})");
  // Anthropic's input excludes its cache's reads and writes; OpenAI's prompt includes them.
  EXPECT_EQ(chat["usage"]["prompt_tokens"], 105);
  EXPECT_EQ(chat["usage"]["prompt_tokens_details"]["cached_tokens"], 90);
  EXPECT_EQ(chat["usage"]["completion_tokens"], 7);
  EXPECT_EQ(chat["usage"]["total_tokens"], 112);

  const auto back = json::parse(chat_completion_to_message(chat.dump()).value());
  EXPECT_EQ(back["type"], "message");
  EXPECT_EQ(back["stop_reason"], "tool_use");
  EXPECT_EQ(back["content"][0], json({{"type", "text"}, {"text", "Calling."}}));
  EXPECT_EQ(back["content"][1], json({{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "f"}, {"input", {{"a", 1}}}}));
  // Counted once: 105 prompt tokens of which 90 cached come back as 15 + 90.
  EXPECT_EQ(back["usage"]["input_tokens"], 15);
  EXPECT_EQ(back["usage"]["cache_read_input_tokens"], 90);
  EXPECT_EQ(back["usage"]["output_tokens"], 7);

  for (auto [stop, finish] : std::initializer_list<std::pair<const char*, const char*>>{
           {"end_turn", "stop"}, {"max_tokens", "length"}, {"tool_use", "tool_calls"}, {"stop_sequence", "stop"}})
    EXPECT_EQ(finish_reason_of(stop), finish) << stop;
  for (auto [finish, stop] : std::initializer_list<std::pair<const char*, const char*>>{
           {"stop", "end_turn"}, {"length", "max_tokens"}, {"tool_calls", "tool_use"}})
    EXPECT_EQ(stop_reason_of(finish), stop) << finish;
}

TEST(TranslateAnswer, TextsAreCopiedAsTheyCameEscapesIncluded) {
  // Escapes, \u sequences (a surrogate pair too) and raw UTF-8 pass through untouched; white space
  // around values is the writer's business and does not matter.
  const std::string message = R"({ "id" : "msg_2", "model":"claude", "content" : [
      {"type":"text","text":"a \"quoted\" line\n"}, {"type":"thinking","thinking":"x"},
      {"type":"text","text":"\ud83d\ude00 caf\u00e9 — ok"} ],
    "stop_reason":"max_tokens", "usage":{"input_tokens":3,"output_tokens":4}})";
  const auto chat = json::parse(message_to_chat_completion(message, 1).value());
  EXPECT_EQ(chat["choices"][0]["message"]["content"], "a \"quoted\" line\n\U0001F600 caf\u00e9 — ok");
  EXPECT_EQ(chat["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(chat["created"], 1);
  EXPECT_TRUE(chat["choices"][0]["message"]["refusal"].is_null());
  EXPECT_EQ(chat["usage"]["total_tokens"], 7);

  // A tool call's input, white space and all, becomes its arguments string; back again, the
  // arguments string is read as the object it holds.
  const std::string with_tool = R"({"id":"m","model":"c","content":[{"type":"tool_use","id":"t1","name":"f",
    "input":{ "q" : "caf\u00e9\n", "n": [1, 2] }}],"stop_reason":"tool_use","usage":{}})";
  const auto called = json::parse(message_to_chat_completion(with_tool, 1).value());
  EXPECT_TRUE(called["choices"][0]["message"]["content"].is_null());  // no text: null, as OpenAI writes it
  const auto args = called["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"].get<std::string>();
  EXPECT_EQ(json::parse(args), json({{"q", "caf\u00e9\n"}, {"n", {1, 2}}}));
  const auto back = json::parse(chat_completion_to_message(called.dump()).value());
  EXPECT_EQ(back["content"].size(), 1u);
  EXPECT_EQ(back["content"][0]["input"], json({{"q", "caf\u00e9\n"}, {"n", {1, 2}}}));
}

TEST(TranslateAnswer, WhatCannotBeReadIsSaidOrReplaced) {
  // Not an object, or not JSON at all: nothing (the answer is relayed as it came).
  for (const char* bad : {"", "[]", "\"x\"", "{\"id\":", "{\"a\":1} x", "{\"a\":\"\x01\"}"}) {
    EXPECT_FALSE(message_to_chat_completion(bad, 1)) << bad;
    EXPECT_FALSE(chat_completion_to_message(bad)) << bad;
  }
  // Arguments that hold no object become {}; content parts are joined by new lines; wrong types
  // are left out rather than copied.
  const std::string completion = R"({"id":7,"model":null,"choices":[{"index":0,"finish_reason":"length",
    "message":{"role":"assistant","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}],
    "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"not json"}},
                  {"id":"c2","type":"function","function":{"name":"g","arguments":"[1]"}},
                  {"id":"c3","type":"function","function":{"name":"h","arguments":" {\"k\": true} "}},
                  {"id":"c4","type":"function","function":{"name":"i","arguments":"{\"s\":\"\\ud800\"}"}}]}}],
    "usage":{"prompt_tokens":"5","completion_tokens":2}})";
  const auto m = json::parse(chat_completion_to_message(completion).value());
  EXPECT_EQ(m["id"], "");
  EXPECT_EQ(m["model"], "");
  EXPECT_EQ(m["stop_reason"], "max_tokens");
  ASSERT_EQ(m["content"].size(), 5u);
  // JSON text whose object holds half a surrogate pair is refused as a parser would refuse it.
  EXPECT_EQ(m["content"][4]["input"], json::object());
  EXPECT_EQ(m["content"][0], json({{"type", "text"}, {"text", "one\ntwo"}}));
  EXPECT_EQ(m["content"][1]["input"], json::object());
  EXPECT_EQ(m["content"][2]["input"], json::object());
  EXPECT_EQ(m["content"][3]["input"], json({{"k", true}}));
  EXPECT_EQ(m["usage"]["input_tokens"], 0);  // a count that is not a number counts nothing
  EXPECT_EQ(m["usage"]["output_tokens"], 2);
}

// A chat completion is checked in the pass that reads its first choice: a fault anywhere
// (in the text read, in a choice not read, after the choices) refuses the whole answer; of a
// member written more than once, the last counts, as before the answer was read in one pass.
TEST(TranslateAnswer, AChatCompletionIsCheckedWhereItIsRead) {
  for (const char* bad : {R"({"choices":[{"message":{"content":"a\u00zz"}}]})",
                          "{\"choices\":[{\"message\":{\"content\":\"a\x01\"}}]}",
                          "{\"choices\":[{\"message\":{\"content\":\"a\"}},{\"message\":\"\xC3\"}]}",
                          R"({"choices":[{"message":{"content":"a"}}],"usage":{"x":tru}})",
                          R"({"choices":[{"message":{"content":"a"}} {}]})",
                          R"({"choices":[{"message":{"content":"a"}}],})"})
    EXPECT_FALSE(chat_completion_to_message(bad)) << bad;
  const auto m = json::parse(chat_completion_to_message(R"({"id":"x",
    "choices":[{"message":{"content":"old"},"finish_reason":"stop"}],
    "choices":[{"message":{"content":"one"},"message":{"content":"two"},"finish_reason":"stop","finish_reason":"length"},
               {"message":{"content":"second choice"}}]})").value());
  EXPECT_EQ(m["content"], json::parse(R"([{"type":"text","text":"two"}])"));
  EXPECT_EQ(m["stop_reason"], "max_tokens");
  // Choices, a choice or a message of another type: nothing read from them, the answer still is.
  for (const char* odd : {R"({"choices":1})", R"({"choices":[7]})", R"({"choices":[{"message":[]}]})"})
    EXPECT_EQ(json::parse(chat_completion_to_message(odd).value())["content"], json::array()) << odd;
}

// The same for a message, whose content blocks are read in the pass that checks it.
TEST(TranslateAnswer, AMessageIsCheckedWhereItIsRead) {
  for (const char* bad : {R"({"content":[{"type":"text","text":"a\u00zz"}]})",
                          "{\"content\":[{\"type\":\"text\",\"text\":\"a\x01\"}]}",
                          "{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"thinking\",\"thinking\":\"\xC3\"}]}",
                          "{\"content\":[7, \"\xC3\"]}",
                          R"({"content":[{"type":"text","text":"a"}],"usage":{"x":tru}})",
                          R"({"content":[{"type":"text","text":"a"} {}]})",
                          R"({"content":[{"type":"text","text":"a",}]})"})
    EXPECT_FALSE(message_to_chat_completion(bad, 1)) << bad;
  const auto c = json::parse(message_to_chat_completion(R"({"id":"x",
    "content":[{"type":"text","text":"old"},{"type":"tool_use","id":"t0","name":"f","input":{}}],
    "content":[{"type":"text","text":"one","text":"two"},{"type":"tool_use","id":"t1","name":"g","input":{"a":1}}],
    "stop_reason":"end_turn","stop_reason":"tool_use"})", 1).value());
  EXPECT_EQ(json::parse(message_to_chat_completion(R"({"content":1})", 1).value())["choices"][0]["message"]["content"], "");
  const auto& message = c["choices"][0]["message"];
  EXPECT_EQ(message["content"], "two");
  ASSERT_EQ(message["tool_calls"].size(), 1u);
  EXPECT_EQ(message["tool_calls"][0]["id"], "t1");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "tool_calls");
}

TEST(TranslateAnswer, ErrorsKeepTheirStatusAndMessage) {
  const auto from_anthropic = json::parse(translate_error_body(
      R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})", Dialect::anthropic, Dialect::openai, 429));
  EXPECT_EQ(from_anthropic["error"]["message"], "slow down");
  EXPECT_EQ(from_anthropic["error"]["type"], "rate_limit_error");
  const auto from_openai = json::parse(translate_error_body(R"({"error":{"message":"bad","type":"invalid_request_error"}})",
                                                            Dialect::openai, Dialect::anthropic, 400));
  EXPECT_EQ(from_openai, json({{"type", "error"}, {"error", {{"type", "invalid_request_error"}, {"message", "bad"}}}}));
  EXPECT_EQ(json::parse(anthropic_error_body(529, "x"))["error"]["type"], "overloaded_error");
  EXPECT_EQ(translate_error_body("not json", Dialect::openai, Dialect::anthropic, 500), "not json");
  // Members of the wrong type are taken as absent (found by the translate fuzz target).
  const auto odd = json::parse(translate_error_body(R"({"error":{"message":null,"type":7}})", Dialect::anthropic,
                                                    Dialect::openai, 500));
  EXPECT_EQ(odd["error"]["message"], "");
  EXPECT_EQ(odd["error"]["type"], "api_error");
  EXPECT_EQ(json::parse(translate_error_body(R"({"error":{"message":["x"]}})", Dialect::openai, Dialect::anthropic,
                                             429))["error"]["type"], "rate_limit_error");
}

// --- streams: fed split at every byte boundary, always the same events out ---

std::string feed_split(StreamTranslator& t, std::string_view in, std::size_t cut) {
  std::string out(t.feed(in.substr(0, cut)));
  out.append(t.feed(in.substr(cut)));
  out.append(t.finish());
  return out;
}

template <class Make>
std::string translated(Make make, std::string_view in) {
  auto whole = make();
  const auto reference = feed_split(*whole, in, in.size());
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    auto t = make();
    EXPECT_EQ(feed_split(*t, in, cut), reference) << "split at " << cut;
  }
  return reference;
}

std::vector<std::pair<std::string, json>> events_of(std::string_view sse) {
  std::vector<std::pair<std::string, json>> out;
  SseParser p;
  p.feed(sse, [&](const SseEvent& e) {
    out.emplace_back(std::string(e.event), e.data == "[DONE]" ? json("[DONE]") : json::parse(e.data));
  });
  return out;
}

const char* kAnthropicStream =
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":4,"
    "\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}\n\n"
    "event: ping\ndata: {\"type\":\"ping\"}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n"
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}\n\n"
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":12}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

TEST(TranslateStream, AnthropicEventsBecomeOpenAIChunksAtAnySplit) {
  const auto out = translated([] { return std::make_unique<MessagesToChatStream>(1700000000); }, kAnthropicStream);
  const auto ev = events_of(out);
  ASSERT_EQ(ev.size(), 8u) << out;
  EXPECT_EQ(ev[0].second["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_EQ(ev[0].second["object"], "chat.completion.chunk");
  EXPECT_EQ(ev[0].second["id"], "msg_1");
  EXPECT_EQ(ev[1].second["choices"][0]["delta"], json({{"content", "Hi"}}));
  EXPECT_EQ(ev[2].second["choices"][0]["delta"]["tool_calls"][0],
            json({{"index", 0}, {"id", "toolu_1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", ""}}}}));
  EXPECT_EQ(ev[3].second["choices"][0]["delta"]["tool_calls"][0], json({{"index", 0}, {"function", {{"arguments", "{\"a\":"}}}}));
  EXPECT_EQ(ev[4].second["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "1}");
  EXPECT_EQ(ev[5].second["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(ev[6].second["choices"].empty());
  EXPECT_EQ(ev[6].second["usage"]["prompt_tokens"], 14);
  EXPECT_EQ(ev[6].second["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(ev[6].second["usage"]["completion_tokens"], 12);
  EXPECT_EQ(ev[7].second, "[DONE]");
}

TEST(TranslateStream, OpenAIChunksBecomeAnthropicsGrammarAtAnySplit) {
  const std::string chunks =
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29,"
      "\"prompt_tokens_details\":{\"cached_tokens\":8}}}\n\n"
      "data: [DONE]\n\n";
  const auto out = translated([] { return std::make_unique<ChatToMessagesStream>(); }, chunks);
  const auto ev = events_of(out);
  std::vector<std::string> names;
  for (const auto& [name, data] : ev) {
    names.push_back(name);
    EXPECT_EQ(data["type"], name);  // the event name and the data's type agree
  }
  EXPECT_EQ(names, (std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                             "content_block_delta", "content_block_stop", "content_block_start",
                                             "content_block_delta", "content_block_stop", "content_block_start",
                                             "content_block_delta", "content_block_stop", "message_delta",
                                             "message_stop"}));
  EXPECT_EQ(ev[0].second["message"]["role"], "assistant");
  // Blocks numbered 0, 1, 2 without gaps.
  EXPECT_EQ(ev[1].second["index"], 0);
  EXPECT_EQ(ev[1].second["content_block"]["type"], "text");
  EXPECT_EQ(ev[2].second["delta"], json({{"type", "text_delta"}, {"text", "Hel"}}));
  EXPECT_EQ(ev[5].second["index"], 1);
  EXPECT_EQ(ev[5].second["content_block"], json({{"type", "tool_use"}, {"id", "call_1"}, {"name", "f"}, {"input", json::object()}}));
  EXPECT_EQ(ev[6].second["delta"], json({{"type", "input_json_delta"}, {"partial_json", "{\"a\":1}"}}));
  EXPECT_EQ(ev[8].second["index"], 2);
  EXPECT_EQ(ev[11].second["delta"]["stop_reason"], "tool_use");
  EXPECT_EQ(ev[11].second["usage"]["input_tokens"], 12);
  EXPECT_EQ(ev[11].second["usage"]["cache_read_input_tokens"], 8);
  EXPECT_EQ(ev[11].second["usage"]["output_tokens"], 9);
}

// An event is read only after one pass has checked all of it: a fault deep inside (a byte that is
// not UTF-8 in a nested string, a nested object cut short) drops the whole event, in both
// directions, and the stream around it reads as it would without it.
TEST(TranslateStream, AnEventMalformedDeepInsideIsDroppedWhole) {
  const std::string anthropic = kAnthropicStream;
  const std::string good_delta =
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n";
  const auto at = anthropic.find(good_delta);
  ASSERT_NE(at, std::string::npos);
  for (std::string bad : {"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\xff\"}}\n\n",
                          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}\n\n",
                          "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":1 2}}\n\n"}) {
    const auto make = [] { return std::make_unique<MessagesToChatStream>(1700000000); };
    const auto with = anthropic.substr(0, at + good_delta.size()) + bad + anthropic.substr(at + good_delta.size());
    EXPECT_EQ(translated(make, with), translated(make, anthropic)) << bad;
  }
  const std::string chunks =
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: [DONE]\n\n";
  const auto cut = chunks.find("data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{},");
  for (std::string bad : {"data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\xff\"}}]}\n\n",
                          "data: {\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\"}]}}]}\n\n",
                          "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1 2}}\n\n"}) {
    const auto make = [] { return std::make_unique<ChatToMessagesStream>(); };
    EXPECT_EQ(translated(make, chunks.substr(0, cut) + bad + chunks.substr(cut)), translated(make, chunks)) << bad;
  }
}

TEST(TranslateStream, ErrorEventsInTheClientsDialect) {
  const std::string anthropic_error =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{}}}\n\n"
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  auto ev = events_of(translated([] { return std::make_unique<MessagesToChatStream>(1); }, anthropic_error));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].first, "error");
  EXPECT_EQ(ev[1].second["error"]["message"], "Overloaded");
  EXPECT_EQ(ev[1].second["error"]["type"], "overloaded_error");
  ev = events_of(translated([] { return std::make_unique<ChatToMessagesStream>(); },
                            "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                            "event: error\ndata: {\"error\":{\"message\":\"cut\"}}\n\n"));
  ASSERT_GE(ev.size(), 1u);
  EXPECT_EQ(ev.back().first, "error");
  EXPECT_EQ(ev.back().second, json({{"type", "error"}, {"error", {{"type", "api_error"}, {"message", "cut"}}}}));
}

}  // namespace
}  // namespace corral::api
