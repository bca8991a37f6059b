// corral-mock's streamed answers: every dialect's events carry the whole text in order, are
// numbered and ended as the provider's are, and are made one at a time, so a long answer is never
// held whole.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "bench/mock/anthropic_bodies.hpp"
#include "bench/mock/openai_bodies.hpp"

namespace corral::mock {
namespace {

using json = nlohmann::json;

Shape shape(std::uint64_t tokens, unsigned chunks, bool include_usage = false) {
  Shape s;
  s.prompt_tokens = 7;
  s.completion_tokens = tokens;
  s.chunks = chunks;
  s.include_usage = include_usage;
  return s;
}

// The JSON of an event's data line, or null for "[DONE]".
json data_of(const std::string& event) {
  EXPECT_TRUE(event.ends_with("\n\n")) << event;
  const auto at = event.find("data: ");
  EXPECT_NE(at, std::string::npos) << event;
  const auto data = event.substr(at + 6, event.size() - 2 - at - 6);
  if (data == "[DONE]") return nullptr;
  return json::parse(data);
}

// The text an event adds to the answer, in the dialect's member for it.
std::string text_of(Api api, const json& d) {
  if (d.is_null()) return {};
  switch (api) {
    case Api::chat:
      if (d["choices"].empty()) return {};
      return d["choices"][0]["delta"].value("content", std::string());
    case Api::completions:
      return d["choices"].empty() ? std::string() : d["choices"][0].value("text", std::string());
    case Api::responses:
      return d["type"] == "response.output_text.delta" ? d["delta"].get<std::string>()
                                                       : std::string();
    case Api::messages:
      return d["type"] == "content_block_delta" ? d["delta"].value("text", std::string())
                                                : std::string();
    case Api::embeddings:
      break;
  }
  return {};
}

std::string streamed_text(Api api, const EventStream& events) {
  std::string text;
  for (std::size_t i = 0; i < events.size(); ++i) text += text_of(api, data_of(events.event(i)));
  return text;
}

const json kRequest = {{"model", "m"},
                       {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}};

TEST(MockEvents, EveryDialectStreamsTheWholeTextInItsPieces) {
  for (const auto api : {Api::chat, Api::completions, Api::responses, Api::messages}) {
    for (const auto& [tokens, chunks] : {std::pair{23u, 5u}, {1u, 1u}, {3u, 8u}, {16u, 16u}}) {
      const auto events = stream_events(api, kRequest, shape(tokens, chunks));
      // The events around the text: chat's role, its finish and [DONE]; completions' finish and
      // [DONE]; the responses API's created and completed; Anthropic's start, ping, block start,
      // block stop, delta and stop.
      const std::size_t around = api == Api::chat ? 3 : api == Api::messages ? 6 : 2;
      EXPECT_EQ(events.size(), around + chunks)
          << static_cast<int>(api) << " " << tokens << "/" << chunks;
      EXPECT_EQ(streamed_text(api, events), completion_text(tokens)) << static_cast<int>(api);
    }
  }
}

TEST(MockEvents, TheLastEventsEndTheStreamAsTheProviderDoes) {
  const auto chat = stream_events(Api::chat, kRequest, shape(4, 2, true)).all();
  ASSERT_EQ(chat.size(), 6u);
  EXPECT_EQ(data_of(chat[0])["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(data_of(chat[3])["choices"][0]["finish_reason"], "stop");
  const auto usage = data_of(chat[4]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 7);
  EXPECT_FALSE(usage.contains("system_fingerprint"));
  EXPECT_TRUE(data_of(chat[1])["usage"].is_null());  // with include_usage, every chunk has it, null
  EXPECT_EQ(chat[5], "data: [DONE]\n\n");

  const auto responses = stream_events(Api::responses, kRequest, shape(5, 3)).all();
  ASSERT_EQ(responses.size(), 5u);
  for (std::size_t i = 0; i < responses.size(); ++i)
    EXPECT_EQ(data_of(responses[i])["sequence_number"], i);
  EXPECT_TRUE(responses[0].starts_with("event: response.created\n"));
  const auto done = data_of(responses[4]);
  EXPECT_EQ(done["type"], "response.completed");
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["text"], completion_text(5));
  EXPECT_EQ(done["response"]["usage"]["output_tokens"], 5);
  EXPECT_EQ(done["response"]["model"], "m");

  const auto messages = stream_events(Api::messages, kRequest, shape(5, 2)).all();
  ASSERT_EQ(messages.size(), 8u);
  EXPECT_EQ(data_of(messages[0])["type"], "message_start");
  EXPECT_EQ(data_of(messages[6])["usage"]["output_tokens"], 5);
  EXPECT_EQ(data_of(messages[6])["delta"]["stop_reason"], "end_turn");
  EXPECT_TRUE(messages[7].starts_with("event: message_stop\n"));
}

TEST(MockEvents, AToolCallStreamsItsArgumentsAndNoText) {
  json req = kRequest;
  req["tools"] = json::array(
      {{{"type", "function"},
        {"function",
         {{"name", "lookup"}, {"parameters", {{"type", "object"}, {"required", {"city"}}}}}}}});
  const auto chat = stream_events(Api::chat, req, shape(16, 8));
  ASSERT_EQ(chat.size(), 6u);  // role, the call's name, its arguments in two pieces, finish, [DONE]
  std::string args;
  for (std::size_t i = 1; i <= 3; ++i)
    args += data_of(chat.event(i))["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .get<std::string>();
  EXPECT_EQ(json::parse(args), (json{{"city", "mock"}}));
  EXPECT_EQ(data_of(chat.event(4))["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(streamed_text(Api::chat, chat), "");

  json areq = kRequest;
  areq["tools"] = json::array(
      {{{"name", "lookup"}, {"input_schema", {{"type", "object"}, {"required", {"city"}}}}}});
  const auto messages = message_events(areq, shape(16, 8), 0);
  // start, ping, block start, the input in two pieces, block stop, delta, stop
  ASSERT_EQ(messages.size(), 8u);
  std::string input;
  for (std::size_t i = 3; i <= 4; ++i)
    input += data_of(messages.event(i))["delta"]["partial_json"].get<std::string>();
  EXPECT_EQ(json::parse(input), (json{{"city", "mock"}}));
  EXPECT_EQ(data_of(messages.event(6))["delta"]["stop_reason"], "tool_use");
}

// A three-million-word answer in a million events: each is made when asked for, the same every
// time, without the rest being made (held whole, the stream would be about 200 MB).
TEST(MockEvents, ALongStreamIsMadeOneEventAtATime) {
  const auto events = stream_events(Api::chat, kRequest, shape(3'000'000, 1'000'000));
  ASSERT_EQ(events.size(), 1'000'003u);
  for (const std::size_t k : {0u, 1u, 499'999u, 999'999u}) {
    const auto event = events.event(1 + k);
    EXPECT_EQ(event, events.event(1 + k));
    // The mock's text is these nine words over and over.
    static constexpr const char* kWords[] = {"the",  "quick", "brown", "fox", "jumps",
                                             "over", "a",     "lazy",  "dog"};
    std::string expected;
    for (std::uint64_t w = 3 * k; w < 3 * k + 3; ++w)
      expected += (w > 0 ? " " : "") + std::string(kWords[w % 9]);
    EXPECT_EQ(text_of(Api::chat, data_of(event)), expected) << k;
  }
  EXPECT_EQ(events.event(1'000'002), "data: [DONE]\n\n");
}

}  // namespace
}  // namespace corral::mock
