// An incremental parser of server-sent events (text/event-stream): fed the bytes of a stream
// in pieces of any size, it reports each complete event's `event` and `data` fields. Used to
// follow streamed answers (the [DONE] marker, the usage chunk) without buffering them.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace corral::api {

struct SseEvent {
  std::string_view event;  // "" when the event has no event: field
  std::string_view data;   // data: lines joined with '\n'
};

class SseParser {
 public:
  // `max_event_bytes` bounds memory: an event whose data is longer, or with a line longer, is
  // skipped and counted in oversized(), however its bytes were split.
  explicit SseParser(std::size_t max_event_bytes = 1 << 20) : max_(max_event_bytes) {}

  // Calls `on_event` for every event completed by `bytes`.
  void feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);

  std::size_t events() const { return events_; }
  std::size_t oversized() const { return oversized_; }
  bool done() const { return done_; }  // saw "data: [DONE]"

 private:
  void line(std::string_view l, const std::function<void(const SseEvent&)>& on_event);
  void keep(std::string_view piece);  // onto partial_, up to max_ + 1 bytes

  std::size_t max_;
  std::string partial_;  // an incomplete line, cut one byte past the bound
  std::string event_, data_;
  bool has_data_ = false, skipping_ = false, last_cr_ = false, done_ = false;
  std::size_t events_ = 0, oversized_ = 0;
};

}  // namespace corral::api
