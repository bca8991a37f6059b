// What reading a request body costs on the request path: the one-pass scan (model, stream flag,
// stream options, output maximum, the token estimate's counts) and the rewrite spliced into the
// client's bytes, against parsing the body into a document and writing it out again (what the
// path did before; here without the walk over the document that the estimate also made). Two
// bodies: the short chat completion bench/compare sends and a 4 KB conversation with tools.
// Run: build-release/corral-micro-bench --benchmark_filter="RequestBody|Answer|StreamEvent_Tap"
#include <benchmark/benchmark.h>

#include <string>

#include <nlohmann/json.hpp>

#include "api/openai_request.hpp"
#include "api/usage.hpp"
#include "api/usage_tap.hpp"
#include "limits/token_estimate.hpp"

using namespace corral;

namespace {

std::string short_body() {
  return R"({"model":"gpt-4.1","max_tokens":200,"messages":[{"role":"user","content":"Say something."}]})";
}

std::string long_body() {
  nlohmann::json body = {{"model", "gpt-4.1"}, {"stream", true}, {"temperature", 0.2}};
  auto& messages = body["messages"];
  messages.push_back({{"role", "system"}, {"content", "You are a careful assistant. Answer briefly and cite sources."}});
  for (int i = 0; i < 12; ++i) {
    messages.push_back({{"role", "user"},
                        {"content", "Question " + std::to_string(i) + ": what does the paragraph below say about "
                                    "latency, and how would you measure it on a loaded machine? \"Caf\u00e9s serve "
                                    "coffee; queues form when arrivals outpace service.\""}});
    messages.push_back({{"role", "assistant"}, {"content", "It says queues grow when arrivals exceed service rate."}});
  }
  body["tools"] = nlohmann::json::parse(
      R"([{"type":"function","function":{"name":"search","description":"Search the web",
          "parameters":{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},
          "required":["query"]}}}])");
  return body.dump();
}

const std::string& body_for(std::int64_t which) {
  static const std::string small = short_body(), large = long_body();
  return which == 0 ? small : large;
}

void label(benchmark::State& state, const std::string& text) {
  state.SetLabel(std::to_string(text.size()) + " B");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

// What the validate stage does: the scan and the estimate.
void BM_RequestBody_Scan(benchmark::State& state) {
  const auto& text = body_for(state.range(0));
  ModelConfig model;
  model.default_max_tokens = 1000;
  for (auto _ : state) {
    auto body = api::parse_request_body(text);
    auto e = limits::estimate_tokens(body.counts, text.size(), model, true);
    benchmark::DoNotOptimize(body);
    benchmark::DoNotOptimize(e);
  }
  label(state, text);
}
BENCHMARK(BM_RequestBody_Scan)->Arg(0)->Arg(1);

// The scan and the body sent upstream with the route's model name, the usage chunk asked for and
// the budget's maximum output.
void BM_RequestBody_ScanAndRewrite(benchmark::State& state) {
  const auto& text = body_for(state.range(0));
  std::string out;
  for (auto _ : state) {
    auto body = api::parse_request_body(text);
    api::rewrite_body(text, body, {"gpt-4.1-2025-04-14", true, "max_completion_tokens", 1000}, out);
    benchmark::DoNotOptimize(out);
  }
  label(state, text);
}
BENCHMARK(BM_RequestBody_ScanAndRewrite)->Arg(0)->Arg(1);

// The same rewrite through a parsed document.
void BM_RequestBody_Document(benchmark::State& state) {
  const auto& text = body_for(state.range(0));
  for (auto _ : state) {
    auto doc = nlohmann::json::parse(text);
    api::rewrite_document(doc, {"gpt-4.1-2025-04-14", true, "max_completion_tokens", 1000});
    auto out = doc.dump();
    benchmark::DoNotOptimize(out);
  }
  label(state, text);
}
BENCHMARK(BM_RequestBody_Document)->Arg(0)->Arg(1);

}  // namespace

// What reading the usage of a whole answer costs (the usage tap, once per answer): the answer
// corral-mock sends bench/compare (200 completion tokens, 1.4 KB).
std::string mock_answer() {
  std::string content;
  while (content.size() < 990) content += "the quick brown fox jumps over a lazy dog ";
  content.resize(989);
  return R"({"choices":[{"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":")" + content +
         R"(","refusal":null,"role":"assistant"}}],"created":1796216155,"id":"chatcmpl-8tnwTNH90rJdyfggCAE48ntm",)"
         R"("model":"gpt-4.1","object":"chat.completion","system_fingerprint":"fp_mock","usage":{"completion_tokens":200,)"
         R"("completion_tokens_details":{"audio_tokens":0,"reasoning_tokens":0},"prompt_tokens":11,)"
         R"("prompt_tokens_details":{"audio_tokens":0,"cached_tokens":0},"total_tokens":211}})";
}

void BM_Answer_Usage(benchmark::State& state) {
  static const std::string text = mock_answer();
  for (auto _ : state) {
    auto u = api::usage_from_text(text);
    benchmark::DoNotOptimize(u);
  }
  label(state, text);
}
BENCHMARK(BM_Answer_Usage);

// What following a stream costs the usage tap per event (split into events, the usage chunk looked
// for, the generated text counted for an answer that may be cut short): sixteen chat chunks as
// corral-mock sends them, in one piece. Arg 0: the tap as a whole; Arg 1: counting the generated
// text alone (each event found by its blank line). At 46868b5 (the text walked string by string):
// 276 and 240 ns an event; the tap without the count, 21 ns.
void BM_StreamEvent_Tap(benchmark::State& state) {
  std::string stream;
  int events = 0;
  for (; events < 16; ++events)
    stream +=
        R"(data: {"id":"chatcmpl-8tnwTNH90rJdyfggCAE48ntm","object":"chat.completion.chunk","created":1796216155,)"
        R"("model":"gpt-4.1","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"content":" quick"},)"
        R"("logprobs":null,"finish_reason":null}]})"
        "\n\n";
  for (auto _ : state) {
    if (state.range(0) == 0) {
      api::UsageTap tap({.sse = true, .strip_usage_chunk = true});
      benchmark::DoNotOptimize(tap.feed(stream));
      benchmark::DoNotOptimize(tap.generated_bytes());
    } else {
      std::uint64_t n = 0;
      for (std::size_t at = 0; at < stream.size();) {
        const auto end = stream.find("\n\n", at);
        n += api::generated_text_bytes(std::string_view(stream).substr(at + 6, end - at - 6), true);
        at = end + 2;
      }
      benchmark::DoNotOptimize(n);
    }
  }
  state.SetItemsProcessed(state.iterations() * events);
}
BENCHMARK(BM_StreamEvent_Tap)->Arg(0)->Arg(1);
