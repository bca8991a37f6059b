// Sinks the forward stage puts between the relay and the client writer:
//  - TranslateSink gives an answer of a provider that speaks the other dialect in the client's;
//  - RenameSink gives an answer from a fallback model the name of the model the client asked for;
//  - CaptureSink keeps a copy of a whole 200 answer, as the provider sent it, for the cache;
//  - UsageTapSink finds the usage the provider reports and, for a stream whose usage chunk corral
//    asked for itself, takes that chunk out of what the client receives.
// Both are members of the forward stage's per-request state: nothing is allocated per request
// beyond their buffers, which are kept.
#pragma once

#include <optional>
#include <string>

#include <memory>

#include "api/dialect.hpp"
#include "api/model_rename.hpp"
#include "api/stream_translate.hpp"
#include "api/usage_tap.hpp"
#include "corral/response_sink.hpp"

namespace corral::proxy {

class TranslateSink final : public ResponseSink {
 public:
  static constexpr std::size_t kMaxWhole = 8 << 20;  // a whole answer larger than this passes untranslated

  // From the provider's dialect `from` to the client's `to` (they differ).
  void reset(ResponseSink& next, api::Dialect from, api::Dialect to);
  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return next_->committed(); }

 private:
  enum class Mode { stream, whole, pass };
  std::string translate_whole() const;

  ResponseSink* next_ = nullptr;
  api::Dialect from_ = api::Dialect::openai, to_ = api::Dialect::openai;
  Mode mode_ = Mode::pass;
  unsigned status_ = 0;
  std::string reason_, body_, tail_;
  HeadFields fields_;
  std::unique_ptr<api::StreamTranslator> stream_;
};

class RenameSink final : public ResponseSink {
 public:
  // Every "model" member of the answer becomes `name` (the answer's length changes: none is declared).
  void reset(ResponseSink& next, std::string name);
  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return next_->committed(); }

 private:
  ResponseSink* next_ = nullptr;
  std::optional<api::ModelRename> rename_;
  std::string tail_;
};

class CaptureSink final : public ResponseSink {
 public:
  // Captures into `body` (cleared) up to `limit` bytes of a 200 answer; 0: capture nothing.
  void reset(ResponseSink& next, std::size_t limit, std::string& body, std::string& content_type);
  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return next_->committed(); }
  // The whole answer arrived within the limit.
  bool captured() const { return capturing_ && ended_; }

 private:
  ResponseSink* next_ = nullptr;
  std::string* body_ = nullptr;
  std::string* content_type_ = nullptr;
  std::size_t limit_ = 0;
  bool capturing_ = false, ended_ = false;
};

class UsageTapSink final : public ResponseSink {
 public:
  void reset(ResponseSink& next, bool strip_usage_chunk);
  void start(unsigned status, std::string_view reason, const HeadFields& fields,
             std::optional<std::uint64_t> content_length) override;
  awaitable<error_code> write(std::string_view piece, bool last) override;
  bool committed() const override { return next_->committed(); }
  std::optional<api::Usage> usage() const { return tap_ ? tap_->usage() : std::nullopt; }
  std::uint64_t relayed_bytes() const { return tap_ ? tap_->relayed_bytes() : 0; }
  std::uint64_t generated_bytes() const { return tap_ ? tap_->generated_bytes() : 0; }
  bool is_stream() const { return sse_; }

 private:
  ResponseSink* next_ = nullptr;
  bool strip_ = false, sse_ = false;
  std::optional<api::UsageTap> tap_;
  std::string tail_;
};

}  // namespace corral::proxy
