// The answer parser of corral-load: what the load needs of an answer, and nothing kept of the
// rest.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "corral/asio.hpp"

namespace corral::load {

// An answer as the load needs it: its status, whether the connection stays open (the parser's
// keep_alive()), its body, and x-corral-queue-ms; the other fields are passed over. Beast's
// response_parser would keep each field in a basic_fields (an allocation and a keyed insert
// each): a cost per header that the load, on the same core as the mock in bench/compare, would
// charge to whichever server answers with more headers.
class Answer final : public http::basic_parser<false> {
 public:
  explicit Answer(std::string& body) : body_(body) { body_.clear(); }
  unsigned status() const noexcept { return status_; }
  const std::string& body() const noexcept { return body_; }
  std::optional<std::uint64_t> queue_ms() const noexcept { return queue_ms_; }

 private:
  using sv = beast::string_view;
  void on_request_impl(http::verb, sv, sv, int, error_code&) override {}
  void on_response_impl(int code, sv, int, error_code&) override { status_ = static_cast<unsigned>(code); }
  void on_field_impl(http::field, sv name, sv value, error_code&) override {
    std::uint64_t ms = 0;
    if (beast::iequals(name, "x-corral-queue-ms") &&
        std::from_chars(value.data(), value.data() + value.size(), ms).ec == std::errc())
      queue_ms_ = ms;
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) body_.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(sv piece, error_code&) override {
    body_.append(piece.data(), piece.size());
    return piece.size();
  }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, sv piece, error_code&) override {
    body_.append(piece.data(), piece.size());
    return piece.size();
  }
  void on_finish_impl(error_code&) override {}

  std::string& body_;
  unsigned status_ = 0;
  std::optional<std::uint64_t> queue_ms_;
};

}  // namespace corral::load
