// The streaming translators, fed a provider's bytes in pieces of any size: what comes out does not
// depend on the pieces; it is well-formed server-sent events whose data is JSON (or [DONE], last);
// and OpenAI chunks become Anthropic's grammar — one message_start first, blocks started with
// indices 0, 1, 2... one at a time, deltas and stops only for started blocks, message_stop last.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/stream_translate.hpp"
#include "fuzz/fuzz_target.hpp"

using namespace corral;

namespace {

template <class T>
std::string translated(std::string_view in, std::size_t piece) {
  T t = [] {
    if constexpr (std::is_same_v<T, api::MessagesToChatStream>) return T(1700000000);
    else return T();
  }();
  std::string out;
  for (std::size_t at = 0; at < in.size(); at += piece) out.append(t.feed(in.substr(at, piece)));
  out.append(t.finish());
  return out;
}

struct Event {
  std::string name;
  nlohmann::json data;
};

std::vector<Event> events_of(const std::string& sse) {
  std::vector<Event> out;
  api::SseParser p(1 << 22);
  p.feed(sse, [&](const api::SseEvent& e) {
    out.push_back({std::string(e.event), e.data == "[DONE]" ? nlohmann::json("[DONE]") : nlohmann::json::parse(e.data, nullptr, false)});
  });
  FUZZ_CHECK(p.oversized() == 0);
  FUZZ_CHECK(sse.empty() || sse.ends_with("\n\n"));  // complete events only
  return out;
}

void check_openai(const std::vector<Event>& ev) {
  for (std::size_t i = 0; i < ev.size(); ++i) {
    FUZZ_CHECK(ev[i].data.is_object() || (ev[i].data == "[DONE]" && i + 1 == ev.size()));
    if (ev[i].name == "error") FUZZ_CHECK(i + 1 == ev.size() && ev[i].data.contains("error"));
  }
}

void check_anthropic(const std::vector<Event>& ev) {
  std::int64_t next = 0, open = -1;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const auto& [name, data] = ev[i];
    FUZZ_CHECK(data.is_object() && data.value("type", "") == name);
    if (name == "error") {
      FUZZ_CHECK(i + 1 == ev.size());
      continue;
    }
    FUZZ_CHECK((name == "message_start") == (i == 0));
    if (name == "content_block_start") {
      FUZZ_CHECK(open == -1 && data["index"] == next);
      open = next++;
    } else if (name == "content_block_delta") {
      FUZZ_CHECK(data["index"].get<std::int64_t>() < next);
    } else if (name == "content_block_stop") {
      FUZZ_CHECK(data["index"] == open);
      open = -1;
    } else if (name == "message_delta") {
      FUZZ_CHECK(open == -1 && data["delta"]["stop_reason"].is_string() && data["usage"].is_object());
      FUZZ_CHECK(i + 2 == ev.size() && ev[i + 1].name == "message_stop");
    }
  }
}

}  // namespace

CORRAL_FUZZ_TARGET(stream_translate) {
  const auto in = fuzz::as_text(data, size);
  const std::size_t piece = 1 + fuzz::split_point(in) % 97;
  {
    const auto whole = translated<api::MessagesToChatStream>(in, in.size() + 1);
    FUZZ_CHECK(translated<api::MessagesToChatStream>(in, piece) == whole);
    check_openai(events_of(whole));
  }
  {
    const auto whole = translated<api::ChatToMessagesStream>(in, in.size() + 1);
    FUZZ_CHECK(translated<api::ChatToMessagesStream>(in, piece) == whole);
    check_anthropic(events_of(whole));
  }
  return 0;
}
