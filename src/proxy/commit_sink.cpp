#include "proxy/commit_sink.hpp"

#include "api/stream_events.hpp"
#include "corral/error.hpp"
#include "upstream/attempt.hpp"
#include "upstream/route_health.hpp"

namespace corral::proxy {

void CommitSink::reset(ResponseSink& next, bool hold, const RetryPolicy& policy, Duration commit_time,
                       upstream::RoutePermit* permit) {
  next_ = &next;
  hold_ = hold;
  policy_ = &policy;
  permit_ = permit;
  commit_time_ = commit_time;
  mode_ = Mode::pass;
  started_ = committed_ = error_event_ = ended_ = false;
  status_ = 0;
  held_.clear();
  events_.reset();
}

void CommitSink::start(unsigned status, std::string_view reason, const HeadFields& fields,
                       std::optional<std::uint64_t> content_length) {
  started_ = true;
  status_ = status;
  mode_ = Mode::pass;
  if (hold_) {
    const bool sse = is_event_stream(fields);
    const auto outcome = upstream::outcome_of_status(status, *policy_, std::nullopt);
    if (outcome.kind == upstream::AttemptOutcome::Kind::ok && status < 400 && sse) mode_ = Mode::hold_stream;
    else if (upstream::retryable(outcome, *policy_)) mode_ = Mode::hold_answer;
  }
  if (mode_ == Mode::pass) {
    committed_ = true;
    next_->start(status, reason, fields, content_length);
    return;
  }
  since_ = std::chrono::steady_clock::now();
  if (mode_ == Mode::hold_stream) {
    // A stream's head goes on now (the sinks behind make the client's head; nothing is sent
    // before the first write), so that only the held events are left to send at its first content.
    events_.emplace(1 << 20);
    fields_.clear();
    next_->start(status, reason, fields, content_length);
    return;
  }
  reason_.assign(reason);
  fields_ = fields;
  length_ = content_length;
}

// The answer's result is what its status says (an error event would have ended the attempt
// before it was committed): the same outcome the forward stage finds after the relay.
void CommitSink::arrived_whole() {
  if (!permit_) return;
  permit_->record(upstream::outcome_of_status(status_, *policy_, std::nullopt), *policy_,
                  std::chrono::steady_clock::now());
  permit_ = nullptr;
}

awaitable<error_code> CommitSink::commit(std::string_view out, bool last) {
  if (last) arrived_whole();
  committed_ = true;
  if (mode_ == Mode::hold_answer) next_->start(status_, reason_, fields_, length_);
  const auto ec = co_await next_->write(out, last);
  std::string().swap(held_);  // what was held is not kept for the rest of a stream's life
  co_return ec;
}

namespace {
awaitable<error_code> done(error_code ec) { co_return ec; }
}  // namespace

// Not a coroutine: once committed the piece goes on as the next sink's operation, so a committed
// stream's event costs no frame here (as the other sinks, sinks.cpp).
awaitable<error_code> CommitSink::write(std::string_view piece, bool last) {
  if (committed_) {
    if (last) arrived_whole();
    return next_->write(piece, last);
  }
  if (!decides(piece, last)) {
    held_.append(piece);
    return done(error_event_ ? make_error_code(Errc::upstream_error) : error_code{});
  }
  if (held_.empty()) return commit(piece, last);  // the first piece decides: not copied
  held_.append(piece);
  return commit(held_, last);
}

// Whether what is held now goes out; an error event before content refuses the attempt.
bool CommitSink::decides(std::string_view piece, bool last) {
  if (mode_ == Mode::hold_stream) {
    // Event by event, up to the first that decides (content, or an error): the rest of the piece
    // goes out with it unread.
    bool content = false;
    const auto on_event = [&](const api::SseEvent& e) {
      if (content || error_event_) return;
      const auto facts = api::facts_of(e);
      if (facts.error) error_event_ = true;
      else content = facts.content;
    };
    for (std::size_t at = 0; at < piece.size() && !content && !error_event_;) {
      const auto end = piece.find("\n\n", at);
      const auto next = end == std::string_view::npos ? piece.size() : end + 2;
      events_->feed(piece.substr(at, next - at), on_event);
      at = next;
    }
    if (error_event_) return false;
    const bool too_long = held_.size() + piece.size() > policy_->stream_commit_bytes ||
                          std::chrono::steady_clock::now() - since_ > commit_time_;
    return content || too_long || last;
  }
  // hold_answer: a failed answer, kept whole unless it grows beyond the bound.
  if (held_.size() + piece.size() > policy_->stream_commit_bytes) return true;
  ended_ = last;
  return false;
}

awaitable<error_code> CommitSink::release() {
  if (!holding()) co_return error_code{};
  co_return co_await commit(held_, ended_);
}

std::optional<Duration> CommitSink::retry_after() const {
  return upstream::parse_retry_after(fields_.value(std::string_view("retry-after-ms")),
                                     fields_.value(std::string_view("retry-after")));
}

}  // namespace corral::proxy
