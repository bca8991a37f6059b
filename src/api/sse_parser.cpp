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
      keep(bytes.substr(i));
      return;
    }
    if (partial_.empty()) {
      line(bytes.substr(i, end - i), on_event);
    } else {
      keep(bytes.substr(i, end - i));
      std::string l = std::move(partial_);
      partial_.clear();
      line(l, on_event);
    }
    last_cr_ = bytes[end] == '\r';
    i = end + 1;
  }
}

void SseParser::keep(std::string_view piece) {
  // One byte past the bound is enough for line() to skip the line as too long.
  partial_.append(piece.substr(0, max_ + 1 - partial_.size()));
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
  if (l.size() > max_) skipping_ = true;  // a line too long (one in pieces was cut past the bound)
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
