#include "corral/http_head.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace corral::http_head {
namespace {

void append_version(std::string& out, unsigned version) {
  out.append("HTTP/", 5);
  out.push_back(static_cast<char>('0' + version / 10 % 10));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + version % 10));
}

}  // namespace

void status_line(std::string& out, unsigned version, unsigned status, std::string_view reason) {
  append_version(out, version);
  char code[4] = {' ', static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10)};
  out.append(code, 4);
  out.push_back(' ');
  if (reason.empty()) {
    const auto std_reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    out.append(std_reason.data(), std_reason.size());
  } else {
    out.append(reason);
  }
  out.append("\r\n", 2);
}

void request_line(std::string& out, std::string_view method, std::string_view target, unsigned version) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.push_back(' ');
  append_version(out, version);
  out.append("\r\n", 2);
}

void field(std::string& out, std::string_view name, std::string_view value) {
  const auto at = out.size();
  out.resize(at + name.size() + value.size() + 4);  // one capacity check for the four pieces
  char* p = out.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void field(std::string& out, std::string_view name, std::uint64_t value) {
  char digits[20];
  const auto r = std::to_chars(digits, digits + sizeof digits, value);
  field(out, name, std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
}

std::size_t chunk_size_line(char (&buf)[18], std::size_t size) noexcept {
  const auto r = std::to_chars(buf, buf + 16, static_cast<std::uint64_t>(size), 16);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  return static_cast<std::size_t>(r.ptr - buf) + 2;
}

}  // namespace corral::http_head
