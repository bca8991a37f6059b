// The SSE parser: whatever the bytes and however they are split, the same events come out. And
// what an event says (content, an error) is read from any bytes without reading past them.
#include <string>
#include <vector>

#include "fuzz/fuzz_target.hpp"
#include "api/sse_parser.hpp"
#include "api/stream_events.hpp"

using namespace corral;

namespace {
std::vector<std::pair<std::string, std::string>> events_of(std::string_view in, std::size_t split) {
  std::vector<std::pair<std::string, std::string>> out;
  api::SseParser p(4096);
  auto on = [&](const api::SseEvent& e) { out.emplace_back(e.event, e.data); };
  p.feed(in.substr(0, split), on);
  p.feed(in.substr(split), on);
  return out;
}
}  // namespace

CORRAL_FUZZ_TARGET(sse) {
  const auto in = fuzz::as_text(data, size);
  const auto whole = events_of(in, in.size());
  FUZZ_CHECK(events_of(in, fuzz::split_point(in)) == whole);
  // Byte by byte, the hardest split of all.
  std::vector<std::pair<std::string, std::string>> bytewise;
  api::SseParser p(4096);
  for (char c : in) p.feed({&c, 1}, [&](const api::SseEvent& e) { bytewise.emplace_back(e.event, e.data); });
  FUZZ_CHECK(bytewise == whole);
  for (const auto& [event, text] : whole) {
    const auto facts = api::facts_of(api::SseEvent{event, text});
    // only a JSON object can say either, unless the event is named "error"
    if (!text.starts_with('{')) FUZZ_CHECK(!facts.content && facts.error == (event == "error"));
  }
  // The input as one event's data, whatever it holds (a cut string, stray escapes).
  const auto facts = api::facts_of(api::SseEvent{{}, in});
  if (!in.starts_with('{')) FUZZ_CHECK(!facts.content && !facts.error);
  return 0;
}
