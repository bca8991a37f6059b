#include "http/client_writer.hpp"

#include "upstream/upstream_request.hpp"

namespace corral::http_server {

void ClientWriter::begin(unsigned version, bool keep_alive, std::string_view request_id,
                         const limits::HeaderList* headers, Duration write_timeout) {
  version_ = version;
  keep_alive_ = keep_alive;
  request_id_ = request_id;
  headers_ = headers;
  write_timeout_ = write_timeout;
  written_ = ended_ = failed_ = false;
  sr_.reset();
  res_ = {};
}

void ClientWriter::start(unsigned status, std::string_view reason, const http::fields& fields,
                         std::optional<std::uint64_t> content_length) {
  res_.version(version_);
  res_.result(status);
  res_.reason(reason);
  upstream::copy_response_fields(fields, res_.base());
  if (headers_)
    for (const auto& [name, value] : *headers_) res_.set(name, value);
  res_.set("x-request-id", request_id_);
  bool delimited = true;
  if (content_length) {
    res_.content_length(*content_length);
  } else if (version_ >= kHttp11) {
    res_.chunked(true);
  } else {
    delimited = false;  // HTTP/1.0 client: the end of the body is the end of the connection
  }
  res_.keep_alive(keep_alive_ && delimited && !draining_);
  sr_.emplace(res_);
}

awaitable<error_code> ClientWriter::write(std::string_view piece, bool last) {
  res_.body().data = piece.empty() ? nullptr : const_cast<char*>(piece.data());
  res_.body().size = piece.size();
  res_.body().more = !last;
  deadline_.arm(write_timeout_, [s = &stream_] { s->cancel(); });
  auto [ec, n] = co_await http::async_write(stream_, *sr_, use_nothrow);
  deadline_.disarm();
  if (ec == http::error::need_buffer) ec = {};
  written_ = true;
  failed_ = failed_ || ec;
  ended_ = last && !ec;
  co_return ec;
}

}  // namespace corral::http_server
