// The usage tap: an answer relayed in pieces of any size. Without stripping the bytes go out
// unchanged; with stripping, what goes out does not depend on the pieces. Neither do the usage
// found nor, for an answer without one, the generated text counted (a whole answer in one last
// piece is read where it is, pieces are joined first: the same usage). A
// whole answer's usage is read with the raw scanner: it finds what reading the parsed document
// finds (nlohmann as the oracle: fuzz/json_oracle.hpp), and so is a stream event's.
#include <string>

#include <nlohmann/json.hpp>

#include "api/json_scan.hpp"
#include "api/usage_tap.hpp"
#include "fuzz/fuzz_target.hpp"
#include "fuzz/json_oracle.hpp"

using namespace corral;

namespace {
struct Run {
  std::string out;
  std::optional<api::Usage> usage;
  std::uint64_t generated = 0;
};
Run run(std::string_view in, bool sse, bool strip, std::size_t piece) {
  api::UsageTap tap({.sse = sse, .strip_usage_chunk = strip, .max_body_bytes = 1 << 16, .max_event_bytes = 4096});
  Run r;
  for (std::size_t at = 0; at < in.size(); at += piece)  // the last piece said so, as the sink does
    r.out.append(tap.feed(in.substr(at, piece), at + piece >= in.size()));
  r.out.append(tap.finish());
  r.usage = tap.usage();
  r.generated = tap.generated_bytes();
  return r;
}
bool same(const std::optional<api::Usage>& a, const std::optional<api::Usage>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->prompt_tokens == b->prompt_tokens && a->completion_tokens == b->completion_tokens &&
                a->cached_tokens == b->cached_tokens);
}
}  // namespace

CORRAL_FUZZ_TARGET(usage_tap) {
  const auto in = fuzz::as_text(data, size);
  if (in.empty()) return 0;
  if (const auto j = nlohmann::json::parse(in, nullptr, false); fuzz::scanner_must_accept(in, j)) {
    FUZZ_CHECK(same(api::usage_from_text(in), api::usage_from(j)));
    // Passing a well-formed value over ends where checking it does.
    const auto t = api::jscan::trim(in);
    FUZZ_CHECK(api::jscan::skip_value(t, 0) == api::jscan::value_end(t, 0));
    // A stream event's data, as the tap reads it: its usage, and with it whether it is a
    // message_delta and whether its choices are an empty array.
    const auto e = api::event_usage(in);
    FUZZ_CHECK(same(e.usage, api::usage_from(j)));
    if (e.usage) {
      const auto choices = j.find("choices");
      FUZZ_CHECK(e.no_choices == (choices != j.end() && choices->is_array() && choices->empty()));
      const auto type = j.find("type");
      FUZZ_CHECK(e.message_delta == (type != j.end() && *type == "message_delta"));
    }
  }
  const std::size_t piece = 1 + fuzz::split_point(in) % 64;
  for (bool sse : {false, true}) {
    const auto whole = run(in, sse, false, in.size());
    FUZZ_CHECK(whole.out == in);
    const auto pieces = run(in, sse, false, piece);
    FUZZ_CHECK(pieces.out == in);
    if (in.size() <= 4096) {
      FUZZ_CHECK(same(whole.usage, pieces.usage));
      if (!whole.usage) FUZZ_CHECK(whole.generated == pieces.generated);
    }
    FUZZ_CHECK(whole.generated <= in.size());
  }
  if (in.size() > 4096) return 0;  // an event longer than max_event_bytes is passed on as it comes
  const auto whole = run(in, true, true, in.size());
  const auto pieces = run(in, true, true, piece);
  FUZZ_CHECK(whole.out == pieces.out);
  FUZZ_CHECK(same(whole.usage, pieces.usage));
  if (!whole.usage) FUZZ_CHECK(whole.generated == pieces.generated);
  FUZZ_CHECK(whole.out.size() <= in.size());
  return 0;
}
