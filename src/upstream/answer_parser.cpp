#include "upstream/answer_parser.hpp"

#include <cstring>

namespace corral::upstream {

std::size_t AnswerParser::take(sv body, error_code& ec) noexcept {
  const std::size_t n = std::min(room_, body.size());
  if (n > 0) std::memcpy(piece_, body.data(), n);
  piece_ += n;
  room_ -= n;
  if (n < body.size()) ec = http::error::need_buffer;  // the piece is full: the relay sends it first
  return n;
}

}  // namespace corral::upstream
