// A provider's answer as the relay reads it (upstream/answer_parser.hpp), against Beast's own
// response parser with a string body on the same bytes: the same verdict, status, fields (those of
// one name in the same order) and body, whatever the framing, the split of the bytes into reads
// and the size of the pieces.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_target.hpp"
#include "upstream/answer_parser.hpp"

using namespace corral;

namespace {

constexpr std::size_t kMaxHead = 4096;
constexpr std::size_t kMaxBody = 64 * 1024;

struct Reading {
  bool ok = false;
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  bool keep_alive = false;
};

// Puts `in` in two reads (split at `split`) and then the end of the connection.
template <class Parser, class Take>
bool feed(Parser& p, std::string_view in, std::size_t split, Take take) {
  p.header_limit(kMaxHead);
  p.eager(true);
  std::string pending;
  std::size_t at = 0;
  for (int guard = 0; guard < 1 << 20 && !p.is_done(); ++guard) {
    error_code ec = http::error::need_more;
    if (!pending.empty()) pending.erase(0, p.put(asio::buffer(pending), ec));
    if (!take()) return false;
    if (ec == http::error::need_buffer) continue;
    if (ec && ec != http::error::need_more) return false;
    if (ec == http::error::need_more || pending.empty()) {
      if (at >= in.size()) {
        if (!p.got_some()) return false;  // as Beast's reads: end_of_stream, not an empty answer
        ec = {};
        p.put_eof(ec);
        return !ec && take();
      }
      const std::size_t n = at < split ? split - at : in.size() - at;
      pending.append(in.substr(at, n));
      at += n;
    }
  }
  return p.is_done();
}

Reading by_beast(std::string_view in, std::size_t split) {
  Reading r;
  http::response_parser<http::string_body> p;
  p.body_limit(kMaxBody);
  r.ok = feed(p, in, split, [] { return true; });
  if (!r.ok) return r;
  r.status = p.get().result_int();
  for (const auto& f : p.get()) r.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = p.get().body();
  r.keep_alive = p.keep_alive();
  return r;
}

Reading by_relay(std::string_view in, std::size_t split, std::size_t piece_size) {
  Reading r;
  HeadFields fields;
  fields.add("x-left-from-before", "1");  // the connection's last answer: cleared by the parser
  upstream::AnswerParser p(fields);
  // As the relay: no limit in the parser (whose count is of bytes offered, not taken, when a
  // piece fills before a read's bytes end), the bound kept by what is relayed.
  p.body_limit(boost::none);
  std::string piece(piece_size, '\0');
  p.body_into(piece.data(), piece.size());
  r.ok = feed(p, in, split, [&] {
    r.body.append(piece.data(), piece.size() - p.room());
    p.body_into(piece.data(), piece.size());
    return r.body.size() <= kMaxBody;
  });
  if (!r.ok) return r;
  r.status = p.status();
  for (const auto f : p.fields()) r.fields.emplace_back(std::string(f.name_text), std::string(f.value));
  r.keep_alive = p.keep_alive();
  return r;
}

std::vector<std::pair<std::string, std::string>> by_name(std::vector<std::pair<std::string, std::string>> fields) {
  for (auto& f : fields)
    for (auto& c : f.first) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return fields;
}

}  // namespace

CORRAL_FUZZ_TARGET(answer) {
  const auto in = fuzz::as_text(data, size);
  const auto split = fuzz::split_point(in);
  const std::size_t piece = in.empty() ? 1 : 1 + static_cast<unsigned char>(in.back()) % 64;
  const auto beast = by_beast(in, split);
  const auto relay = by_relay(in, split, piece);
  FUZZ_CHECK(beast.ok == relay.ok);
  if (!beast.ok) return 0;
  FUZZ_CHECK(beast.status == relay.status);
  // Beast's container puts a field beside the others of its name; the relay keeps the order of the
  // wire. Fields of one name keep their order in both.
  FUZZ_CHECK(by_name(beast.fields) == by_name(relay.fields));
  FUZZ_CHECK(beast.body == relay.body);
  FUZZ_CHECK(beast.keep_alive == relay.keep_alive);
  return 0;
}
