// The parser of a client's request: Beast's HTTP/1 grammar and framing (request line, fields,
// Content-Length, chunked, the body limit), with what it reads kept in a RequestText that the
// connection reuses from request to request: the fields as text in a HeadFields (no allocation
// and link per field, nor freeing them all after each request, as Beast's field container does),
// the body in a string whose storage stays for the next request (up to a bound). Trailer fields
// of a chunked body are dropped: never merged into the head (RFC 9110 §6.5.1), never forwarded.
#pragma once

#include <string>

#include "corral/asio.hpp"
#include "corral/head_fields.hpp"

namespace corral::http_server {

// A request as read: its head's parts and its body.
struct RequestText {
  http::verb method = http::verb::unknown;
  std::string target;
  unsigned version = 11;
  HeadFields fields;
  std::string body;

  // What an idle connection keeps for its next request is bounded: storage over this is freed
  // (a typical chat request's head and body fit, and are read again without allocating).
  static constexpr std::size_t kKeptBytes = 8 * 1024;
  void release_large() {
    if (body.capacity() > kKeptBytes) std::string().swap(body);
    if (target.capacity() > kKeptBytes) std::string().swap(target);
    if (fields.storage_bytes() > kKeptBytes) fields.release_storage();
  }
};

class RequestParser final : public http::basic_parser<true> {
 public:
  // `into` is cleared and receives the request; it outlives the parser.
  explicit RequestParser(RequestText& into) : into_(into) {
    into_.method = http::verb::unknown;
    into_.target.clear();
    into_.version = 11;
    into_.fields.clear();
    into_.body.clear();
  }

  const RequestText& request() const noexcept { return into_; }

 private:
  using sv = beast::string_view;
  void on_request_impl(http::verb method, sv, sv target, int version, error_code&) override {
    into_.method = method;
    into_.target.assign(target.data(), target.size());
    into_.version = static_cast<unsigned>(version);
  }
  void on_response_impl(int, sv, int, error_code&) override {}
  void on_field_impl(http::field name, sv name_text, sv value, error_code&) override {
    if (!is_header_done()) into_.fields.add(name, {name_text.data(), name_text.size()}, {value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) into_.body.reserve(static_cast<std::size_t>(*length));  // within the body limit, checked before
  }
  std::size_t on_body_impl(sv body, error_code&) override { return take(body); }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, sv body, error_code&) override { return take(body); }
  void on_finish_impl(error_code&) override {}

  std::size_t take(sv body) {
    into_.body.append(body.data(), body.size());
    return body.size();
  }

  RequestText& into_;
};

}  // namespace corral::http_server
