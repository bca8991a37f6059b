#include "http/client_writer.hpp"

#include <array>
#include <span>

#include "corral/http_head.hpp"
#include "upstream/upstream_request.hpp"

namespace corral::http_server {

void ClientWriter::begin(unsigned version, bool keep_alive, std::string_view request_id,
                         const limits::HeaderList* headers, Duration write_timeout) {
  version_ = version;
  keep_alive_ = keep_alive;
  request_id_ = request_id;
  headers_ = headers;
  write_timeout_ = write_timeout;
  keep_ = chunked_ = head_sent_ = written_ = ended_ = failed_ = false;
  head_.clear();
}

bool ClientWriter::replaced(std::string_view name) const {
  if (http_head::iequals(name, "x-request-id")) return true;
  if (headers_)
    for (const auto& h : *headers_)
      if (http_head::iequals(name, h.first)) return true;
  return false;
}

// The provider's fields (less hop-by-hop ones and those corral replaces), corral's headers (the
// last of equal names), x-request-id, then the framing and Connection fields.
void ClientWriter::start(unsigned status, std::string_view reason, const HeadFields& fields,
                         std::optional<std::uint64_t> content_length) {
  // (called again when an attempt whose stream was held is replaced by the next one's answer)
  head_.clear();
  chunked_ = false;
  http_head::status_line(head_, version_, status, reason);
  upstream::for_each_relayed_field(fields, [this](std::string_view name, std::string_view value) {
    if (!replaced(name)) http_head::field(head_, name, value);
  });
  if (headers_) {
    const auto& h = *headers_;
    for (std::size_t i = 0; i < h.size(); ++i) {
      bool later = false;
      for (std::size_t j = i + 1; j < h.size() && !later; ++j) later = http_head::iequals(h[i].first, h[j].first);
      if (!later) http_head::field(head_, h[i].first, h[i].second);
    }
  }
  http_head::field(head_, "x-request-id", request_id_);
  bool delimited = true;
  if (content_length) {
    http_head::field(head_, "Content-Length", *content_length);
  } else if (version_ >= kHttp11) {
    http_head::field(head_, "Transfer-Encoding", "chunked");
    chunked_ = true;
  } else {
    delimited = false;  // HTTP/1.0 client: the end of the body is the end of the connection
  }
  keep_ = keep_alive_ && delimited && !draining_;
  if (version_ >= kHttp11 && !keep_) http_head::field(head_, "Connection", "close");
  if (version_ < kHttp11 && keep_) http_head::field(head_, "Connection", "keep-alive");
  http_head::end(head_);
}

awaitable<error_code> ClientWriter::write(std::string_view piece, bool last) {
  static constexpr std::string_view kCrlf = "\r\n", kLastChunk = "0\r\n\r\n", kCrlfLastChunk = "\r\n0\r\n\r\n";
  std::array<asio::const_buffer, 4> parts;
  std::size_t n = 0;
  if (!head_sent_) parts[n++] = asio::buffer(head_);
  char size_line[18];
  if (chunked_) {
    if (!piece.empty()) {
      parts[n++] = asio::buffer(size_line, http_head::chunk_size_line(size_line, piece.size()));
      parts[n++] = asio::buffer(piece);
      parts[n++] = asio::buffer(last ? kCrlfLastChunk : kCrlf);
    } else if (last) {
      parts[n++] = asio::buffer(kLastChunk);
    }
  } else if (!piece.empty()) {
    parts[n++] = asio::buffer(piece);
  }
  error_code ec;
  if (n > 0) {  // (what is awaited is awaited here, not in a helper coroutine: one frame fewer per piece)
    const auto rest = stream_.write_now(gathered(std::span(parts.data(), n)), ec);
    if (!ec && !rest.empty()) {
      deadline_.arm(write_timeout_, [s = &stream_] { s->cancel(); });
      std::tie(ec, std::ignore) = co_await asio::async_write(stream_, rest, use_nothrow);
      deadline_.disarm();
    }
    head_sent_ = true;
  }
  written_ = true;
  failed_ = failed_ || ec;
  ended_ = last && !ec;
  co_return ec;
}

std::span<asio::const_buffer> ClientWriter::gathered(std::span<asio::const_buffer> parts) {
  if (!stream_.is_tls() || parts.size() < 2) return parts;
  tls_.clear();
  for (const auto& p : parts) tls_.append(static_cast<const char*>(p.data()), p.size());
  parts[0] = asio::buffer(tls_);
  return parts.first(1);
}

awaitable<error_code> ClientWriter::send(const http::response<http::string_body>& res, bool head_only,
                                         Duration write_timeout) {
  head_.clear();
  http_head::status_line(head_, res.version(), res.result_int(), {res.reason().data(), res.reason().size()});
  for (const auto& f : res)
    http_head::field(head_, {f.name_string().data(), f.name_string().size()}, {f.value().data(), f.value().size()});
  http_head::end(head_);
  std::array<asio::const_buffer, 2> parts{asio::buffer(head_), asio::buffer(res.body())};
  error_code ec;
  const auto rest =
      stream_.write_now(gathered(std::span(parts.data(), head_only || res.body().empty() ? 1 : 2)), ec);
  if (ec || rest.empty()) co_return ec;
  deadline_.arm(write_timeout, [s = &stream_] { s->cancel(); });
  std::tie(ec, std::ignore) = co_await asio::async_write(stream_, rest, use_nothrow);
  deadline_.disarm();
  co_return ec;
}

}  // namespace corral::http_server
