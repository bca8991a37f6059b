#include "api/model_rename.hpp"

#include <nlohmann/json.hpp>

namespace corral::api {
namespace {

constexpr std::string_view kKey = "\"model\"";
constexpr std::size_t kMaxSpace = 16;  // whitespace around the colon beyond this: not ours to rewrite

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The longest end of `text` that begins kKey (shorter than kKey).
std::size_t key_prefix_at_end(std::string_view text) {
  for (std::size_t n = std::min(text.size(), kKey.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == kKey.substr(0, n)) return n;
  return 0;
}

}  // namespace

ModelRename::ModelRename(std::string name) : replacement_(nlohmann::json(std::move(name)).dump()) {}

ModelRename::Match ModelRename::match(std::string_view text, std::size_t at, std::size_t& end) const {
  std::size_t i = at + kKey.size();
  auto skip_space = [&] {
    const auto from = i;
    while (i < text.size() && space(text[i]) && i - from <= kMaxSpace) ++i;
    return i - from <= kMaxSpace;
  };
  if (!skip_space()) return Match::no;
  if (i == text.size()) return Match::incomplete;
  if (text[i++] != ':') return Match::no;
  if (!skip_space()) return Match::no;
  if (i == text.size()) return Match::incomplete;
  if (text[i] != '"') return Match::no;
  const auto value = i++;
  while (i < text.size()) {
    if (i - value > kMaxValue) return Match::no;
    if (text[i] == '\\') {
      i += 2;
      continue;
    }
    if (text[i] == '"') {
      end = i + 1;
      return Match::yes;
    }
    ++i;
  }
  return i - value > kMaxValue ? Match::no : Match::incomplete;
}

std::string_view ModelRename::feed(std::string_view piece) {
  std::string work;
  std::string_view text = piece;
  if (!held_.empty()) {
    work = std::move(held_);
    work.append(piece);
    text = work;
  }
  held_.clear();
  out_.clear();
  std::size_t pos = 0;
  for (;;) {
    const auto at = text.find(kKey, pos);
    if (at == std::string_view::npos) {
      const auto keep = key_prefix_at_end(text.substr(pos));
      out_.append(text.substr(pos, text.size() - pos - keep));
      held_.assign(text.substr(text.size() - keep));
      break;
    }
    std::size_t end = 0;
    const auto m = match(text, at, end);
    if (m == Match::incomplete) {
      out_.append(text.substr(pos, at - pos));
      held_.assign(text.substr(at));
      break;
    }
    if (m == Match::no) {
      out_.append(text.substr(pos, at + 1 - pos));
      pos = at + 1;
      continue;
    }
    // The value starts at the first quote after the colon.
    const auto value = text.find('"', text.find(':', at + kKey.size()));
    out_.append(text.substr(pos, value - pos)).append(replacement_);
    pos = end;
  }
  return out_;
}

std::string_view ModelRename::finish() {
  out_ = std::move(held_);
  held_.clear();
  return out_;
}

}  // namespace corral::api
