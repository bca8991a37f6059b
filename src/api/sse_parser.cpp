#include "api/sse_parser.hpp"

#include "api/byte_search.hpp"

namespace corral::api {

void SseParser::feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event) {
  for (std::size_t i = 0; i < bytes.size();) {
    const char c = bytes[i];
    if (last_cr_ && c == '\n') {  // the LF of a CRLF already ended the line
      last_cr_ = false;
      ++i;
      continue;
    }
    last_cr_ = false;
    const auto end = api::bytes::line_end(bytes, i);
    if (end == std::string_view::npos) {
      // A line too long: its event is skipped, and its bytes dropped until its end.
      if (!discarding_ && partial_.size() + (bytes.size() - i) > max_) {
        discarding_ = skipping_ = true;
        partial_.clear();
      }
      if (!discarding_) partial_.append(bytes.substr(i));
      return;
    }
    if (discarding_) {  // the end of a line too long, whose bytes were not kept
      discarding_ = false;
    } else if (partial_.empty()) {
      line(bytes.substr(i, end - i), on_event);
    } else {
      partial_.append(bytes.substr(i, end - i));
      std::string l = std::move(partial_);
      partial_.clear();
      line(l, on_event);
    }
    last_cr_ = bytes[end] == '\r';
    i = end + 1;
  }
}

void SseParser::line(std::string_view l, const std::function<void(const SseEvent&)>& on_event) {
  if (l.empty()) {  // blank line: dispatch
    if (skipping_) {
      ++oversized_;
    } else if (has_data_) {
      ++events_;
      if (data_ == "[DONE]") done_ = true;
      on_event(SseEvent{event_, data_});
    }
    event_.clear();
    data_.clear();
    has_data_ = skipping_ = false;
    return;
  }
  if (l.size() > max_) skipping_ = true;      // a line too long, come whole (as when in pieces)
  if (skipping_ || l.front() == ':') return;  // comment
  const auto colon = l.find(':');
  auto field = l.substr(0, colon);
  auto value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_) {
      skipping_ = true;
      return;
    }
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  }
}

}  // namespace corral::api
