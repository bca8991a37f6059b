// Follows an answer while it is relayed, to find the usage the provider reports: in the JSON
// body of a whole answer, or in the events of a stream (the usage chunk of chat/completions, the
// response.completed event of responses). For streams whose usage chunk corral asked for itself
// (stream_options.include_usage added for accounting), that chunk is removed from what the client
// receives. Memory is bounded: a whole answer is kept only up to max_body_bytes, an incomplete
// event only up to max_event_bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "api/sse_parser.hpp"
#include "api/usage.hpp"

namespace corral::api {

class UsageTap {
 public:
  struct Options {
    bool sse = false;               // text/event-stream
    bool strip_usage_chunk = false; // drop the usage-only chunk (sse only)
    std::size_t max_body_bytes = 4 << 20;
    std::size_t max_event_bytes = 1 << 20;
  };
  explicit UsageTap(Options o) : o_(o) {}

  // The bytes to relay for `piece`: the piece itself, or (when stripping) the complete events in
  // it minus the usage chunk. The view (into `piece`, or into the tap's own buffer when events
  // were taken out or began in an earlier piece) is valid until the next call, while `piece` is.
  // `last`: no piece follows (a whole answer in one piece is then read where it is, not copied).
  std::string_view feed(std::string_view piece, bool last = false);
  // The end of the answer: whatever is still held back (an incomplete last event).
  std::string_view finish();

  const std::optional<Usage>& usage() const { return usage_; }
  std::uint64_t relayed_bytes() const { return relayed_; }
  // For an answer that reports no usage (one cut short, say): the bytes of text the model
  // generated in what was relayed (generated_text_bytes), what it is charged for. Every byte
  // relayed when a whole answer was too large to keep.
  std::uint64_t generated_bytes() const;

 private:
  void on_event(std::string_view raw, bool& keep);
  std::string_view emit(std::string_view bytes);

  Options o_;
  std::string body_;     // a whole JSON answer, while it fits
  bool body_overflow_ = false;
  std::string pending_;  // bytes of an incomplete event
  std::string out_;      // what a stripping feed() returns
  std::optional<Usage> usage_;
  std::uint64_t relayed_ = 0;
  // Generated text in the events relayed, or in a whole answer read in place.
  std::uint64_t text_ = 0;
};

}  // namespace corral::api
