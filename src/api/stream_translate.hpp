// Streamed answers translated event by event, as state machines fed the provider's bytes in
// pieces split anywhere (no I/O):
//  - MessagesToChatStream: Anthropic's event grammar (message_start, content_block_start /
//    _delta / _stop, message_delta, message_stop, ping, error) as OpenAI chunks: the role chunk,
//    content deltas, tool-call deltas by index, the finish chunk, the usage chunk, [DONE];
//  - ChatToMessagesStream: OpenAI chunks as Anthropic's grammar, with content blocks numbered
//    from 0 without gaps, input_json_delta for tool arguments, message_delta with the stop reason
//    and the usage, message_stop.
// An error event becomes the client's dialect's error event. Events are read with the raw JSON
// scanner (json_scan.hpp): texts, ids and arguments are copied as they came, never decoded and
// encoded again. Memory is bounded by the SSE parser's event limit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/sse_parser.hpp"
#include "api/usage.hpp"

namespace corral::api {

class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;
  // The bytes to relay for `piece` (complete events only); valid until the next call.
  std::string_view feed(std::string_view piece);
  // The end of the provider's stream: whatever its last, unterminated event completes.
  std::string_view finish();

 protected:
  virtual void on_event(const SseEvent& e) = 0;
  std::string out_;

 private:
  SseParser parser_{1 << 20};
};

class MessagesToChatStream final : public StreamTranslator {
 public:
  explicit MessagesToChatStream(std::int64_t created) : created_(created) {}

 private:
  void on_event(const SseEvent& e) override;
  void begin_chunk();                        // a chunk, up to its delta
  void end_chunk(std::string_view finish);   // after its delta: the finish reason ("null" or a string)
  void start(std::string_view message);

  std::int64_t created_;
  std::string head_;  // data: {"id":...,"object":"chat.completion.chunk","created":...,"model":...,
  std::map<std::uint64_t, std::uint64_t> tool_index_;  // Anthropic block index -> OpenAI tool call index
  Usage usage_;
  bool started_ = false, done_ = false;
};

class ChatToMessagesStream final : public StreamTranslator {
 private:
  void on_event(const SseEvent& e) override;
  void start_message(std::string_view id, std::string_view model);
  void open_block(bool text);
  void close_block();
  void end_message();
  void tool_call(std::string_view call);
  void event_head(std::string_view type);

  bool started_ = false, ended_ = false;
  std::uint64_t blocks_ = 0;      // blocks opened so far (the next one's index)
  std::int64_t open_ = -1;        // the open block's index, -1 when none
  bool open_is_text_ = false;
  std::map<std::uint64_t, std::uint64_t> tool_block_;  // OpenAI tool call index -> block index
  std::string_view stop_reason_ = "end_turn";
  Usage usage_;
};

}  // namespace corral::api
