// corral-mock's answers in OpenAI's wire format: chat completions (text or a tool call),
// completions, embeddings, responses, model lists and errors, whole or as server-sent events (and,
// through anthropic_bodies, Anthropic's messages).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::mock {

enum class Api { chat, completions, embeddings, responses, messages };  // messages: Anthropic's

struct Shape {
  std::uint64_t prompt_tokens = 1;
  std::uint64_t completion_tokens = 16;
  unsigned chunks = 8;           // content events of a stream
  bool include_usage = false;    // stream_options.include_usage
  std::uint64_t cached_tokens = 0;  // of the prompt, read from the provider's cache
};

std::string new_id(std::string_view prefix);
// Tokens of a text (a word a token per up to 6 letters or digits, every other visible character a
// token) and of a content value (a string, or parts and blocks: text, images, tool calls).
std::uint64_t text_tokens(std::string_view text);
std::uint64_t content_tokens(const nlohmann::json& content);

// The prompt tokens a provider would count for `request`, approximated the way tokenizers behave:
// a word is a token per up to 6 letters or digits, every other visible character a token, each
// message 4 tokens of role and framing (plus 3 for the answer's start), tool definitions counted
// as their JSON text, an image 85 tokens (765 at "detail": "high").
std::uint64_t count_prompt_tokens(Api api, const nlohmann::json& request);
// The most the request lets the answer be (max_tokens, max_completion_tokens, max_output_tokens);
// `wanted` when it sets none.
std::uint64_t capped_completion_tokens(const nlohmann::json& request, std::uint64_t wanted);
std::string completion_text(std::uint64_t tokens);

// Piece `k` of `parts` of completion_text(tokens): its words from tokens x k / parts on, each but
// the answer's first after a space, so the pieces in turn make the whole text.
std::string text_piece(std::uint64_t tokens, unsigned parts, unsigned k);

// A streamed answer's events, each a complete "data: ...\n\n" (or "event: ...") block, made one at
// a time as it is sent: the few events before the text are kept, the text's pieces and the events
// after them are made when asked for. However long the answer, the mock holds one event of it.
class EventStream {
 public:
  using PieceEvent = std::function<std::string(const std::string& piece, unsigned k)>;
  using LaterEvent = std::function<std::string()>;

  // `head`, then the `pieces` pieces of a `tokens`-word text (text_piece), piece k made an event by
  // `piece_event`, then the events `tail` makes.
  EventStream(std::vector<std::string> head, std::uint64_t tokens, unsigned pieces,
              PieceEvent piece_event, std::vector<LaterEvent> tail);

  std::size_t size() const { return head_.size() + pieces_ + tail_.size(); }
  std::string event(std::size_t i) const;  // i < size()
  std::vector<std::string> all() const;    // every event (for benchmarks of short answers)

 private:
  std::vector<std::string> head_;
  std::uint64_t tokens_;
  unsigned pieces_;
  PieceEvent piece_event_;
  std::vector<LaterEvent> tail_;
};

std::string whole_answer(Api api, const nlohmann::json& request, const Shape& shape);
EventStream stream_events(Api api, const nlohmann::json& request, const Shape& shape);
std::string error_answer(unsigned status, std::string_view message);
std::string models_answer(const std::vector<std::string>& ids);

}  // namespace corral::mock
