// What translating between OpenAI's and Anthropic's dialects costs, on answers as corral-mock
// makes them (200 tokens, ~1.4 KB of text): a whole answer each way, a request each way, and one
// streamed event each way (the delay the translation adds to every event a client receives).
// Run: build-release/corral-translate-bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "anthropic_bodies.hpp"
#include "api/stream_translate.hpp"
#include "api/translate.hpp"
#include "api/translate_request.hpp"
#include "openai_bodies.hpp"

using namespace corral;
using nlohmann::json;

namespace {

constexpr std::string_view kChatText =
    R"({"model":"gpt-4.1","max_tokens":200,"messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Say something."}]})";
const json kChatRequest = json::parse(kChatText);
constexpr std::string_view kMessagesText =
    R"({"model":"gpt-4.1","max_tokens":200,"system":"Be brief.","messages":[{"role":"user","content":"Say something."}]})";
const json kMessagesRequest = json::parse(kMessagesText);

mock::Shape shape(unsigned chunks) {
  mock::Shape s;
  s.prompt_tokens = 20;
  s.completion_tokens = 200;
  s.chunks = chunks;
  s.include_usage = true;
  return s;
}

// /v1/messages answered by an OpenAI provider: its chat completion becomes a message.
void BM_WholeAnswer_ChatToMessage(benchmark::State& state) {
  const auto body = mock::whole_answer(mock::Api::chat, kChatRequest, shape(1));
  for (auto _ : state) {
    auto out = api::chat_completion_to_message(body);
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::to_string(body.size()) + " B answer");
}

// Chat completions answered by an Anthropic provider: its message becomes a chat completion.
void BM_WholeAnswer_MessageToChat(benchmark::State& state) {
  const auto body = mock::whole_message(kMessagesRequest, shape(1), 0);
  for (auto _ : state) {
    auto out = api::message_to_chat_completion(body, 1700000000);
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::to_string(body.size()) + " B answer");
}

// The requests, each way: from the checked text the forward stage holds to the bytes sent upstream.
void BM_Request_MessagesToChat(benchmark::State& state) {
  for (auto _ : state) {
    auto out = api::messages_to_chat(kMessagesText, "gpt-4.1");
    benchmark::DoNotOptimize(out);
  }
}

void BM_Request_ChatToMessages(benchmark::State& state) {
  for (auto _ : state) {
    auto out = api::chat_to_messages(kChatText, "claude", 4096);
    benchmark::DoNotOptimize(out);
  }
}

// One streamed answer of 64 content events, translated event by event as they arrive; the time
// reported is per event of the provider's stream.
template <class Translator>
void stream(benchmark::State& state, const std::vector<std::string>& events) {
  std::size_t out_bytes = 0;
  for (auto _ : state) {
    Translator t = [] {
      if constexpr (std::is_same_v<Translator, api::MessagesToChatStream>) return Translator(1700000000);
      else return Translator();
    }();
    for (const auto& e : events) out_bytes += t.feed(e).size();
    out_bytes += t.finish().size();
  }
  benchmark::DoNotOptimize(out_bytes);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events.size()));
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(state.iterations() * events.size()),
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = static_cast<double>(events.size());
}

void BM_StreamEvent_ChatToMessages(benchmark::State& state) {
  stream<api::ChatToMessagesStream>(
      state, mock::stream_events(mock::Api::chat, kChatRequest, shape(64)).all());
}

void BM_StreamEvent_MessagesToChat(benchmark::State& state) {
  stream<api::MessagesToChatStream>(state,
                                    mock::message_events(kMessagesRequest, shape(64), 0).all());
}

}  // namespace

BENCHMARK(BM_WholeAnswer_ChatToMessage);
BENCHMARK(BM_WholeAnswer_MessageToChat);
BENCHMARK(BM_Request_MessagesToChat);
BENCHMARK(BM_Request_ChatToMessages);
BENCHMARK(BM_StreamEvent_ChatToMessages);
BENCHMARK(BM_StreamEvent_MessagesToChat);
BENCHMARK_MAIN();
