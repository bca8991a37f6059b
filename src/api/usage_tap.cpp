#include "api/usage_tap.hpp"

#include <cstring>

#include "api/byte_search.hpp"

namespace corral::api {
namespace {

// True when `data` has "usage" followed by an object (not null): worth reading.
bool mentions_usage(std::string_view data) {
  constexpr std::string_view name = "\"usage\"";
  for (auto at = bytes::find(data, name); at != std::string_view::npos; at = bytes::find(data, name, at + name.size())) {
    auto i = at + name.size();
    while (i < data.size() && (data[i] == ' ' || data[i] == ':' || data[i] == '\t')) ++i;
    if (i < data.size() && data[i] == '{') return true;
  }
  return false;
}

// The end of the first complete event in `s` (just past its blank line), or npos.
std::size_t event_end(std::string_view s) {
  for (const char* p = s.data(); (p = static_cast<const char*>(std::memchr(p, '\n', s.data() + s.size() - p)));) {
    const auto i = static_cast<std::size_t>(p - s.data());
    if (i + 1 >= s.size()) break;
    if (s[i + 1] == '\n') return i + 2;
    if (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') return i + 3;
    ++p;
  }
  return std::string_view::npos;
}

}  // namespace

std::uint64_t UsageTap::generated_bytes() const {
  if (o_.sse) return text_;
  if (body_overflow_) return relayed_;
  return body_.empty() ? text_ : generated_text_bytes(body_, false);
}

std::string_view UsageTap::emit(std::string_view bytes) {
  relayed_ += bytes.size();
  return bytes;
}

void UsageTap::on_event(std::string_view raw, bool& keep) {
  keep = true;
  if (!mentions_usage(raw)) {
    text_ += generated_text_bytes(raw, true);
    return;
  }
  SseParser parser(o_.max_event_bytes);
  parser.feed(raw, [&](const SseEvent& e) {
    const auto event = event_usage(e.data);
    if (!event.usage) return;
    merge_usage(usage_, event);
    if (o_.strip_usage_chunk && event.no_choices) keep = false;
  });
  if (keep) text_ += generated_text_bytes(raw, true);
  if (raw.find("\n\n") == std::string_view::npos && raw.find("\n\r\n") == std::string_view::npos) {
    // An event cut short by the end of the stream: the parser needs its blank line.
    parser.feed("\n\n", [&](const SseEvent& e) { merge_usage(usage_, event_usage(e.data)); });
  }
}

std::string_view UsageTap::feed(std::string_view piece, bool last) {
  if (!o_.sse) {
    if (last && body_.empty() && !body_overflow_) {  // the whole answer, in this piece
      if (!piece.empty() && piece.size() <= o_.max_body_bytes) usage_ = usage_from_text(piece);
      if (!usage_)
        text_ =
            piece.size() <= o_.max_body_bytes ? generated_text_bytes(piece, false) : piece.size();
      return emit(piece);
    }
    if (!body_overflow_) {
      if (body_.size() + piece.size() > o_.max_body_bytes) {
        body_overflow_ = true;
        body_.clear();
        body_.shrink_to_fit();
      } else {
        body_.append(piece);
      }
    }
    return emit(piece);
  }
  // Streams: split into events; with stripping, only complete kept events go out. Kept events
  // that follow one another go out as the piece's own bytes: they are copied only when a usage
  // chunk is taken from among them or the first began in an earlier piece.
  std::string_view rest = piece;
  const bool carried = !pending_.empty();
  if (carried) {
    pending_.append(piece);
    rest = pending_;
  }
  out_.clear();
  std::size_t consumed = 0, run = 0;  // kept events not yet copied to out_: rest[run, consumed)
  for (std::size_t end; (end = event_end(rest.substr(consumed))) != std::string_view::npos; consumed += end) {
    bool keep = true;
    on_event(rest.substr(consumed, end), keep);
    if (!keep) {  // (only when stripping) the kept events before it, not it
      out_.append(rest.substr(run, consumed - run));
      run = consumed + end;
    }
  }
  // An incomplete event waits for the next piece, unless it is longer than any event can be: then
  // this is not an event stream we can follow, and it is passed on.
  if (rest.size() - consumed > o_.max_event_bytes) consumed = rest.size();
  std::string_view send = piece;
  if (o_.strip_usage_chunk) {
    send = rest.substr(run, consumed - run);
    if (carried || !out_.empty()) {
      out_.append(send);
      send = out_;
    }
  }
  if (carried) pending_ = std::string(rest.substr(consumed));  // (a copy: rest is pending_ itself)
  else pending_.assign(rest.substr(consumed));
  return emit(send);
}

std::string_view UsageTap::finish() {
  if (!o_.sse) {
    if (!body_overflow_ && !body_.empty()) usage_ = usage_from_text(body_);
    return {};
  }
  if (pending_.empty()) return {};
  bool keep = true;
  on_event(pending_, keep);
  out_ = keep && o_.strip_usage_chunk ? std::move(pending_) : std::string();
  pending_.clear();
  return emit(out_);
}

}  // namespace corral::api
