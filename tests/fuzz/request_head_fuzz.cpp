// The request head: scan_head on the raw bytes, Beast's parse with corral's version handling,
// check_request, then the body as the session reads it (chunked or with a length, bounded).
#include <string>

#include "fuzz/fuzz_target.hpp"
#include "http/framing.hpp"
#include "http/request_parser.hpp"

using namespace corral;

CORRAL_FUZZ_TARGET(request_head) {
  const auto in = fuzz::as_text(data, size);
  constexpr std::size_t kMaxHead = 4096;
  const auto scan = http_server::scan_head(in, kMaxHead);
  // Property: the verdict on a prefix is the verdict on the whole once the prefix decides it.
  const auto prefix = http_server::scan_head(in.substr(0, fuzz::split_point(in)), kMaxHead);
  if (prefix.state == http_server::HeadScan::State::complete) {
    FUZZ_CHECK(scan.state == prefix.state && scan.length == prefix.length);
  } else if (prefix.state == http_server::HeadScan::State::error) {
    FUZZ_CHECK(scan.state == prefix.state && scan.error == prefix.error);
  }
  if (scan.state != http_server::HeadScan::State::complete) return 0;
  FUZZ_CHECK(scan.length <= in.size() && in.substr(0, scan.length).ends_with("\r\n\r\n"));

  std::string head(in.substr(0, scan.length));
  http_server::RequestText request;
  http_server::RequestParser parser(request);
  parser.header_limit(kMaxHead + 1);
  parser.body_limit(64 * 1024);
  parser.eager(false);
  error_code ec;
  if (http_server::parse_head(head.data(), head.size(), parser, ec) != Errc::ok) return 0;
  const auto check = http_server::check_request(request);
  if (check.error != Errc::ok) return 0;
  // Properties of an accepted head: HTTP/1.0 or 1.1, a routable path, a known body framing.
  FUZZ_CHECK(request.version == 10 || request.version == 11);
  FUZZ_CHECK(check.path.starts_with('/') || check.path == "*" || request.method == http::verb::connect);
  FUZZ_CHECK(!(parser.chunked() && parser.content_length()));

  // The body, through the same parser: its trailer fields never join the head's.
  const auto head_fields = request.fields.size();
  auto rest = in.substr(scan.length);
  while (!rest.empty() && !parser.is_done()) {
    const auto used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
    if (ec && ec != http::error::need_more) break;
    if (used == 0) break;
    rest.remove_prefix(used);
  }
  FUZZ_CHECK(request.fields.size() == head_fields);
  FUZZ_CHECK(request.body.size() <= 64 * 1024);
  if (parser.is_done() && parser.content_length()) FUZZ_CHECK(request.body.size() == *parser.content_length());
  return 0;
}
