#include "api/usage_tap.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

std::string chunk(const std::string& json) { return "data: " + json + "\n\n"; }

TEST(UsageFrom, EveryShape) {
  auto chat = usage_from(nlohmann::json::parse(
      R"({"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4}}})"));
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->prompt_tokens, 10u);
  EXPECT_EQ(chat->completion_tokens, 5u);
  EXPECT_EQ(chat->cached_tokens, 4u);
  auto resp = usage_from(nlohmann::json::parse(
      R"({"type":"response.completed","response":{"usage":{"input_tokens":7,"output_tokens":3,"input_tokens_details":{"cached_tokens":1}}}})"));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->prompt_tokens, 7u);
  EXPECT_EQ(resp->completion_tokens, 3u);
  EXPECT_FALSE(usage_from(nlohmann::json::parse(R"({"usage":null})")));
  // Anthropic: input_tokens leaves out the cache's reads and writes.
  auto message = usage_from(nlohmann::json::parse(
      R"({"type":"message","usage":{"input_tokens":5,"cache_read_input_tokens":20,"cache_creation_input_tokens":3,"output_tokens":9}})"));
  ASSERT_TRUE(message);
  EXPECT_EQ(message->prompt_tokens, 28u);
  EXPECT_EQ(message->cached_tokens, 20u);
  EXPECT_EQ(message->completion_tokens, 9u);
}

TEST(UsageTap, AnthropicStreamsAddMessageStartsPromptToMessageDeltasOutput) {
  const std::string stream =
      "event: message_start\ndata: " R"({"type":"message_start","message":{"id":"m","usage":{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":1}}})" "\n\n"
      "event: content_block_delta\ndata: " R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}})" "\n\n"
      "event: message_delta\ndata: " R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}})" "\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  for (std::size_t piece = 1; piece <= stream.size(); piece += 3) {
    UsageTap tap({.sse = true});
    std::string out;
    for (std::size_t i = 0; i < stream.size(); i += piece) out += tap.feed(std::string_view(stream).substr(i, piece));
    out += tap.finish();
    EXPECT_EQ(out, stream);
    ASSERT_TRUE(tap.usage()) << piece;
    EXPECT_EQ(tap.usage()->prompt_tokens, 14u);
    EXPECT_EQ(tap.usage()->cached_tokens, 4u);
    EXPECT_EQ(tap.usage()->completion_tokens, 12u);
  }
}

TEST(UsageTap, WholeJsonAnswerPassesThroughAndIsRead) {
  UsageTap tap({});
  const std::string body = R"({"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4}})";
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += 7) out += tap.feed(body.substr(i, 7));
  out += tap.finish();
  EXPECT_EQ(out, body);
  ASSERT_TRUE(tap.usage());
  EXPECT_EQ(tap.usage()->completion_tokens, 4u);
  EXPECT_EQ(tap.relayed_bytes(), body.size());
}

TEST(UsageTap, WholeJsonAnswerInOneLastPieceIsReadWhereItIs) {
  const std::string body = R"({"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4}})";
  UsageTap tap({});
  std::string out(tap.feed(body, true));
  out += tap.finish();
  EXPECT_EQ(out, body);
  ASSERT_TRUE(tap.usage());
  EXPECT_EQ(tap.usage()->prompt_tokens, 3u);
  EXPECT_EQ(tap.usage()->completion_tokens, 4u);
  EXPECT_EQ(tap.relayed_bytes(), body.size());

  // The last of several pieces: the pieces before it are joined with it, as without `last`.
  UsageTap pieces({});
  out = pieces.feed(std::string_view(body).substr(0, 20));
  out += pieces.feed(std::string_view(body).substr(20), true);
  out += pieces.finish();
  EXPECT_EQ(out, body);
  ASSERT_TRUE(pieces.usage());
  EXPECT_EQ(pieces.usage()->completion_tokens, 4u);

  // One last piece above the bound is relayed and not read; nor is one that is not JSON.
  UsageTap big({.max_body_bytes = 16});
  EXPECT_EQ(big.feed(body, true).size(), body.size());
  big.finish();
  EXPECT_FALSE(big.usage());
  UsageTap cut({});
  cut.feed(std::string_view(body).substr(0, body.size() - 2), true);
  cut.finish();
  EXPECT_FALSE(cut.usage());
}

const std::string kStream = chunk(R"({"choices":[{"delta":{"content":"a"}}],"usage":null})") +
                            chunk(R"({"choices":[{"delta":{},"finish_reason":"stop"}],"usage":null})") +
                            chunk(R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}})") +
                            "data: [DONE]\n\n";

TEST(UsageTap, StreamUsageChunkIsRemovedWhenCorralAskedForIt) {
  for (std::size_t piece = 1; piece <= kStream.size(); piece += 5) {
    UsageTap tap({.sse = true, .strip_usage_chunk = true});
    std::string out;
    for (std::size_t i = 0; i < kStream.size(); i += piece) out += tap.feed(std::string_view(kStream).substr(i, piece));
    out += tap.finish();
    ASSERT_TRUE(tap.usage()) << piece;
    EXPECT_EQ(tap.usage()->prompt_tokens, 9u);
    EXPECT_EQ(out.find("prompt_tokens"), std::string::npos) << piece;
    EXPECT_NE(out.find("finish_reason"), std::string::npos);
    EXPECT_NE(out.find("[DONE]"), std::string::npos);
  }
}

TEST(UsageTap, StrippingTakesOutTheUsageChunkAndNothingElse) {
  const std::string usage_chunk = chunk(R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}})");
  std::string want = kStream;
  want.erase(want.find(usage_chunk), usage_chunk.size());
  for (std::size_t piece = 1; piece <= kStream.size(); ++piece) {
    UsageTap tap({.sse = true, .strip_usage_chunk = true});
    std::string out;
    for (std::size_t i = 0; i < kStream.size(); i += piece) out += tap.feed(std::string_view(kStream).substr(i, piece));
    out += tap.finish();
    EXPECT_EQ(out, want) << piece;
    EXPECT_EQ(tap.relayed_bytes(), want.size()) << piece;
  }
}

TEST(UsageTap, WholeKeptEventsGoOutAsThePiecesOwnBytes) {
  UsageTap tap({.sse = true, .strip_usage_chunk = true});
  const std::string two = chunk(R"({"choices":[{"delta":{"content":"a"}}],"usage":null})") +
                          chunk(R"({"choices":[{"delta":{"content":"b"}}],"usage":null})");
  const auto out = tap.feed(two);
  EXPECT_EQ(out.data(), two.data());  // not copied
  EXPECT_EQ(out.size(), two.size());
  // An event split over two pieces goes out whole with the second.
  const auto first = tap.feed(std::string_view(two).substr(0, 10));
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(std::string(tap.feed(std::string_view(two).substr(10))), two);
}

TEST(UsageTap, StreamPassesThroughUntouchedWhenTheClientAskedForUsage) {
  UsageTap tap({.sse = true});
  std::string out;
  for (std::size_t i = 0; i < kStream.size(); i += 10) out += tap.feed(std::string_view(kStream).substr(i, 10));
  out += tap.finish();
  EXPECT_EQ(out, kStream);
  ASSERT_TRUE(tap.usage());
  EXPECT_EQ(tap.usage()->completion_tokens, 2u);
}

TEST(UsageTap, ResponsesStreamCompletedEvent) {
  UsageTap tap({.sse = true});
  tap.feed("event: response.output_text.delta\ndata: {\"delta\":\"x\"}\n\n");
  tap.feed("event: response.completed\ndata: {\"response\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":6}}}\n\n");
  ASSERT_TRUE(tap.usage());
  EXPECT_EQ(tap.usage()->completion_tokens, 6u);
}

TEST(GeneratedText, CountsTheTextAModelWroteInEveryDialectAndNotTheEnvelope) {
  // Chat completions: a delta's content, reasoning, refusal and a tool call's arguments.
  EXPECT_EQ(
      generated_text_bytes(
          R"({"id":"c","object":"chat.completion.chunk","model":"gpt-4.1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]})",
          true),
      5u);
  EXPECT_EQ(generated_text_bytes(
                R"({"choices":[{"delta":{"reasoning_content":"abc","refusal":"no"}}]})", true),
            5u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"get_weather","arguments":"{\"city\":"}}]}}]})",
          true),
      std::string_view(R"({\"city\":)").size());
  // Text completions.
  EXPECT_EQ(generated_text_bytes(
                R"({"object":"text_completion","choices":[{"text":"four","index":0}]})", true),
            4u);
  // Anthropic's deltas: text, thinking and a tool's partial JSON; message_start has none yet.
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi there"}})",
          true),
      8u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"hmm"}})",
          true),
      3u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"content_block_delta","delta":{"type":"input_json_delta","partial_json":"{\"a\""}})",
          true),
      6u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":3}}})",
          true),
      0u);
  // The responses API: its deltas count, its ".done" events repeat the text whole and do not.
  EXPECT_EQ(generated_text_bytes(
                R"({"type":"response.output_text.delta","item_id":"msg_1","delta":"Hi"})", true),
            2u);
  EXPECT_EQ(generated_text_bytes(
                R"({"type":"response.output_text.done","item_id":"msg_1","text":"Hi all"})", true),
            0u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"response.completed","response":{"output":[{"content":[{"type":"output_text","text":"Hi all"}]}]}})",
          true),
      0u);
  // Whole answers, whatever their type.
  EXPECT_EQ(
      generated_text_bytes(
          R"({"id":"c","object":"chat.completion","choices":[{"message":{"role":"assistant","content":"Hello world"}}]})",
          false),
      11u);
  EXPECT_EQ(
      generated_text_bytes(
          R"({"type":"message","content":[{"type":"text","text":"abc"},{"type":"text","text":"de"}]})",
          false),
      5u);
  // As written: an escape counts its bytes. A text cut short counts what came before the cut.
  EXPECT_EQ(generated_text_bytes(R"({"choices":[{"delta":{"content":"a\nb"}}]})", true), 4u);
  EXPECT_EQ(generated_text_bytes(
                R"({"choices":[{"message":{"content":"first"}},{"message":{"content":"sec)", false),
            5u);
  EXPECT_EQ(generated_text_bytes("[DONE]", true), 0u);
  // An event as it came: its field names and line ends hold no member.
  EXPECT_EQ(generated_text_bytes(
                "event: response.output_text.delta\nid: 7\ndata: {\"type\":\"response.output_text."
                "delta\",\"delta\": \"Hi\"}\n\n",
                true),
            2u);
  EXPECT_EQ(
      generated_text_bytes("data: {\"choices\":[{\"delta\":{\"content\":\"a:b\"}}]}\r\n\r\n", true),
      3u);
  EXPECT_EQ(generated_text_bytes("", false), 0u);
}

TEST(UsageTap, AStreamCutShortWithoutUsageCountsTheTextItRelayed) {
  const std::string stream =
      chunk(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})") +
      chunk(R"({"choices":[{"delta":{"content":"Hello"}}]})") +
      "event: ping\ndata: {\"type\":\"ping\"}\n\n" +
      chunk(R"({"choices":[{"delta":{"content":" world"}}]})") +
      "data: "
      R"({"choices":[{"delta":{"content":"!!"}}]})";  // cut before its blank line
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    UsageTap tap({.sse = true, .strip_usage_chunk = true});
    for (std::size_t at = 0; at < stream.size(); at += piece)
      tap.feed(std::string_view(stream).substr(at, piece));
    tap.finish();
    EXPECT_FALSE(tap.usage());
    EXPECT_EQ(tap.generated_bytes(), 13u) << piece;
    EXPECT_EQ(tap.relayed_bytes(), stream.size()) << piece;
  }
  // A whole answer without usage, in one piece or several; too large to keep, every byte counts.
  const std::string whole =
      R"({"choices":[{"message":{"role":"assistant","content":"Hello world"}}]})";
  for (std::size_t piece : {whole.size(), std::size_t{7}}) {
    UsageTap tap({});
    for (std::size_t at = 0; at < whole.size(); at += piece)
      tap.feed(std::string_view(whole).substr(at, piece), at + piece >= whole.size());
    tap.finish();
    EXPECT_EQ(tap.generated_bytes(), 11u) << piece;
  }
  UsageTap small({.max_body_bytes = 16});
  small.feed(whole.substr(0, 20));
  small.feed(whole.substr(20), true);
  EXPECT_EQ(small.generated_bytes(), whole.size());
}

TEST(UsageTap, OversizedAnswersAreNotHeld) {
  UsageTap tap({.max_body_bytes = 16});
  EXPECT_EQ(tap.feed(std::string(100, 'x')).size(), 100u);
  tap.finish();
  EXPECT_FALSE(tap.usage());
}

}  // namespace
}  // namespace corral::api

namespace corral::api {
namespace {

TEST(UsageFromText, ReadsEveryShapeAsTheParsedReaderDoes) {
  for (const char* answer : {
           R"({"usage":{"prompt_tokens":12,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4}}})",
           R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}})",
           R"({"type":"response.completed","response":{"usage":{"input_tokens":7,"output_tokens":3,
               "input_tokens_details":{"cached_tokens":2}}}})",
           R"({"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":90,
               "cache_creation_input_tokens":5,"output_tokens":1}}})",
           R"({"usage":{"input_tokens":3,"cache_read_input_tokens":null,"output_tokens":"4"}})",
           R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}})",  // the last of a repeated key
           R"({"usage":{"prompt_tokens":-1,"completion_tokens":1.5,"total_tokens":18446744073709551616}})",
           R"({"usage":null,"message":{"usage":{"output_tokens":6}}})",
           R"({"usage":{"prompt_tokens":1},"usage":null,"message":{"usage":{"output_tokens":6}}})",
           R"({"usage":null,"usage":{"prompt_tokens":4,"prompt_tokens_details":{"cached_tokens":1}}})",
           R"({"usage":{"prompt_tokens":1,"completion_tokens":9},"usage":{"prompt_tokens":2}})",
           R"({"usage":[1],"response":7})", R"({"id":"x"})", R"([{"usage":{"prompt_tokens":1}}])"}) {
    const auto parsed = usage_from(nlohmann::json::parse(answer));
    EXPECT_EQ(usage_from_text(answer), parsed) << answer;
  }
  EXPECT_EQ(usage_from_text(R"({"usage":{"prompt_tokens":12}})")->prompt_tokens, 12u);
  EXPECT_FALSE(usage_from_text(R"({"usage":{"prompt_tokens":12}} trailing)"));
  EXPECT_FALSE(usage_from_text(""));
  // What usage is not read from is passed over unchecked: the usage of an answer whose text is
  // not valid UTF-8 still counts; a malformed usage object does not.
  EXPECT_EQ(usage_from_text("{\"choices\":[{\"text\":\"caf\xff\"}],\"usage\":{\"prompt_tokens\":3}}")->prompt_tokens, 3u);
  EXPECT_FALSE(usage_from_text(R"({"choices":[],"usage":{"prompt_tokens":3,}})"));
  EXPECT_FALSE(usage_from_text(R"({"choices":[],"usage":{"prompt_tokens":3})"));
  // The usage object is read where the pass over the answer meets it; the last one counts, and a
  // malformed one is passed over as before (counting for nothing when it is the last).
  EXPECT_EQ(usage_from_text(R"({"usage":{"prompt_tokens":3,},"usage":{"prompt_tokens":5}})")->prompt_tokens, 5u);
  EXPECT_FALSE(usage_from_text(R"({"usage":{"prompt_tokens":5},"usage":{"prompt_tokens":3,}})"));
  EXPECT_FALSE(usage_from_text(R"({"usage":{"prompt_tokens":5},"usage":{"prompt_tokens")"));
  EXPECT_FALSE(usage_from_text(R"({"usage":)"));
}

}  // namespace
}  // namespace corral::api

namespace corral::api {
namespace {

// A stream event read by the raw scanner says what reading its parsed document says.
TEST(EventUsage, ReadsAnEventAsItsParsedDocumentReads) {
  for (const char* data : {
           R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})",
           R"( {"choices":[ ],"usage":{"prompt_tokens":3}} )",
           R"({"choices":[{"delta":{}}],"usage":{"prompt_tokens":3}})",
           R"({"choices":[],"usage":null})",
           R"({"choices":[],"choices":[1],"usage":{"prompt_tokens":3}})",
           R"({"type":"message_delta","usage":{"output_tokens":12}})",
           R"({"type":"message\u005fdelta","usage":{"output_tokens":12}})",
           R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})",
           R"({"type":"response.completed","response":{"usage":{"input_tokens":7,"output_tokens":3}}})"}) {
    const auto j = nlohmann::json::parse(data);
    const auto e = event_usage(data);
    EXPECT_EQ(e.usage, usage_from(j)) << data;
    if (!e.usage) continue;
    const auto choices = j.find("choices");
    EXPECT_EQ(e.no_choices, choices != j.end() && choices->is_array() && choices->empty()) << data;
    const auto type = j.find("type");
    EXPECT_EQ(e.message_delta, type != j.end() && *type == "message_delta") << data;
  }
  EXPECT_FALSE(event_usage(R"({"choices":[],"usage":{"prompt_tokens":3})").usage);  // cut short
  EXPECT_FALSE(event_usage("[DONE]").usage);
}

TEST(EventUsage, AMessageDeltaWithoutThePromptKeepsMessageStarts) {
  std::optional<Usage> u;
  merge_usage(u, event_usage(R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})"));
  merge_usage(u, event_usage(R"({"type":"message_delta","usage":{"output_tokens":12}})"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->prompt_tokens, 10u);
  EXPECT_EQ(u->completion_tokens, 12u);
  merge_usage(u, event_usage(R"({"type":"ping"})"));  // no usage: nothing changes
  EXPECT_EQ(u->completion_tokens, 12u);
  merge_usage(u, event_usage(R"({"usage":{"prompt_tokens":2,"completion_tokens":3}})"));
  EXPECT_EQ(u, (Usage{.prompt_tokens = 2, .completion_tokens = 3}));
}

}  // namespace
}  // namespace corral::api
