#include "proxy/sinks.hpp"

#include <nlohmann/json.hpp>

#include "api/translate.hpp"

namespace corral::proxy {
namespace {
awaitable<error_code> nothing_to_write() { co_return error_code{}; }
}  // namespace

void TranslateSink::reset(ResponseSink& next, api::Dialect from, api::Dialect to) {
  next_ = &next;
  from_ = from;
  to_ = to;
  mode_ = Mode::pass;
  body_.clear();
  stream_.reset();
}

void TranslateSink::start(unsigned status, std::string_view reason, const HeadFields& fields,
                          std::optional<std::uint64_t> content_length) {
  const bool sse = is_event_stream(fields);
  status_ = status;
  if (status == 200 && sse) {  // event by event; the length changes: none is declared
    mode_ = Mode::stream;
    if (to_ == api::Dialect::openai)
      stream_ = std::make_unique<api::MessagesToChatStream>(std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch()).count());
    else
      stream_ = std::make_unique<api::ChatToMessagesStream>();
    next_->start(status, reason, fields, std::nullopt);
    return;
  }
  if (status == 200 || status >= 400) {  // gathered, translated at the end, sent with its length
    mode_ = Mode::whole;
    reason_.assign(reason);
    fields_ = fields;
    return;
  }
  mode_ = Mode::pass;
  next_->start(status, reason, fields, content_length);
}

std::string TranslateSink::translate_whole() const {
  if (status_ >= 400) return api::translate_error_body(body_, from_, to_, status_);
  auto translated =
      to_ == api::Dialect::openai
          ? api::message_to_chat_completion(body_, std::chrono::duration_cast<std::chrono::seconds>(
                                                       std::chrono::system_clock::now().time_since_epoch()).count())
          : api::chat_completion_to_message(body_);
  return translated ? std::move(*translated) : body_;  // not an answer corral can read: as it came
}

awaitable<error_code> TranslateSink::write(std::string_view piece, bool last) {
  if (mode_ == Mode::pass) co_return co_await next_->write(piece, last);
  if (mode_ == Mode::stream) {
    std::string_view send = stream_->feed(piece);
    if (last) {
      tail_.assign(send).append(stream_->finish());
      send = tail_;
    }
    if (send.empty() && !last) co_return error_code{};
    co_return co_await next_->write(send, last);
  }
  if (body_.size() + piece.size() > kMaxWhole) {  // too large to translate: on as it is
    mode_ = Mode::pass;
    next_->start(status_, reason_, fields_, std::nullopt);
    auto held = std::move(body_);
    body_.clear();
    held.append(piece);
    co_return co_await next_->write(held, last);
  }
  body_.append(piece);
  if (!last) co_return error_code{};
  const auto translated = translate_whole();
  next_->start(status_, reason_, fields_, translated.size());
  co_return co_await next_->write(translated, true);
}

void RenameSink::reset(ResponseSink& next, std::string name) {
  next_ = &next;
  rename_.emplace(std::move(name));
}

void RenameSink::start(unsigned status, std::string_view reason, const HeadFields& fields,
                       std::optional<std::uint64_t>) {
  next_->start(status, reason, fields, std::nullopt);
}

awaitable<error_code> RenameSink::write(std::string_view piece, bool last) {
  std::string_view send = rename_->feed(piece);
  if (last) {
    tail_.assign(send).append(rename_->finish());
    send = tail_;
  }
  if (send.empty() && !last) return nothing_to_write();  // held back: a member not yet decided
  return next_->write(send, last);
}

void CaptureSink::reset(ResponseSink& next, std::size_t limit, std::string& body, std::string& content_type) {
  next_ = &next;
  limit_ = limit;
  body_ = &body;
  content_type_ = &content_type;
  body_->clear();
  capturing_ = ended_ = false;
}

void CaptureSink::start(unsigned status, std::string_view reason, const HeadFields& fields,
                        std::optional<std::uint64_t> content_length) {
  capturing_ = limit_ > 0 && status == 200;
  if (capturing_) {
    content_type_->assign(fields.value(http::field::content_type));
  }
  next_->start(status, reason, fields, content_length);
}

// Not coroutines: these hand on the next sink's operation, so a piece costs one coroutine frame
// (the client writer's) however many sinks it passes.
awaitable<error_code> CaptureSink::write(std::string_view piece, bool last) {
  if (capturing_) {
    if (body_->size() + piece.size() > limit_) {
      capturing_ = false;
      std::string().swap(*body_);
    } else {
      body_->append(piece);
    }
  }
  ended_ = last;
  return next_->write(piece, last);
}

void UsageTapSink::reset(ResponseSink& next, bool strip_usage_chunk) {
  next_ = &next;
  strip_ = strip_usage_chunk;
  sse_ = false;
  tap_.reset();
}

void UsageTapSink::start(unsigned status, std::string_view reason, const HeadFields& fields,
                         std::optional<std::uint64_t> content_length) {
  const bool sse = is_event_stream(fields);
  // A chunk can be taken out only of a body whose length was not declared.
  sse_ = sse;
  tap_.emplace(api::UsageTap::Options{.sse = sse, .strip_usage_chunk = strip_ && sse && !content_length});
  next_->start(status, reason, fields, content_length);
}

awaitable<error_code> UsageTapSink::write(std::string_view piece, bool last) {
  std::string_view send = tap_->feed(piece, last);
  if (last) {
    const auto rest = tap_->finish();
    if (!rest.empty()) {
      tail_.assign(send).append(rest);
      send = tail_;
    }
  }
  if (send.empty() && !last) return nothing_to_write();  // held back: part of an event not yet complete
  return next_->write(send, last);
}

}  // namespace corral::proxy
