// The parser of a provider's answer: Beast's HTTP/1 grammar and framing (status line, fields,
// Content-Length, chunked, end of stream), with the head's fields kept in a HeadFields that the
// thread reuses from answer to answer (answer_fields.hpp), and the body copied into the piece the
// relay gives it (as Beast's buffer_body: when the piece is full the parse stops with need_buffer).
#pragma once

#include <string>

#include "corral/asio.hpp"
#include "corral/head_fields.hpp"

namespace corral::upstream {

class AnswerParser final : public http::basic_parser<false> {
 public:
  // `fields` is cleared and receives the head's fields; it outlives the parser.
  explicit AnswerParser(HeadFields& fields) : fields_(fields) { fields_.clear(); }

  unsigned status() const noexcept { return status_; }
  std::string_view reason() const noexcept { return reason_; }
  const HeadFields& fields() const noexcept { return fields_; }

  // The next body bytes go to [data, data + size).
  void body_into(char* data, std::size_t size) noexcept {
    piece_ = data;
    room_ = size;
  }
  // What is left of the piece.
  std::size_t room() const noexcept { return room_; }

 private:
  using sv = beast::string_view;
  void on_request_impl(http::verb, sv, sv, int, error_code&) override {}
  void on_response_impl(int code, sv reason, int, error_code&) override {
    status_ = static_cast<unsigned>(code);
    reason_.assign(reason.data(), reason.size());
  }
  void on_field_impl(http::field name, sv name_text, sv value, error_code&) override {
    fields_.add(name, {name_text.data(), name_text.size()}, {value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(sv body, error_code& ec) override { return take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, sv body, error_code& ec) override { return take(body, ec); }
  void on_finish_impl(error_code&) override {}

  std::size_t take(sv body, error_code& ec) noexcept;

  HeadFields& fields_;
  unsigned status_ = 0;
  std::string reason_;
  char* piece_ = nullptr;
  std::size_t room_ = 0;
};

}  // namespace corral::upstream
