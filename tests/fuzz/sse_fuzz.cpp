// The SSE parser: whatever the bytes and however they are split, the same events come out.
#include <string>
#include <vector>

#include "fuzz/fuzz_target.hpp"
#include "api/sse_parser.hpp"

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
  return 0;
}
