// Rewrites the value of every "model" member of a JSON answer or of a stream's JSON events to
// another name, as the answer is relayed piece by piece (split anywhere): when a fallback model
// answered, the client still sees the model it asked for. Inside JSON strings a quote is always
// escaped, so `"model"` followed by `:` and a string can only be a member name, never text.
// Memory is bounded: a member whose value is longer than kMaxValue is left as it is.
#pragma once

#include <string>
#include <string_view>

namespace corral::api {

class ModelRename {
 public:
  static constexpr std::size_t kMaxValue = 256;

  explicit ModelRename(std::string name);

  // The bytes to relay for `piece`; a possible start of a member is held back until it is
  // decided. The view is valid until the next call.
  std::string_view feed(std::string_view piece);
  // The end of the answer: whatever is still held back.
  std::string_view finish();

 private:
  // Where a member at `text[at]` ("model"...) stands: decided (replaced or not a match), or
  // incomplete (more bytes needed).
  enum class Match { no, yes, incomplete };
  Match match(std::string_view text, std::size_t at, std::size_t& end) const;

  std::string replacement_;  // the quoted, escaped name
  std::string held_;         // bytes of an undecided member
  std::string out_;
};

}  // namespace corral::api
