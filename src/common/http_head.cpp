#include "corral/http_head.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstdint>

namespace corral::http_head {
namespace {

constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

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
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
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

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view lowercase_prefix) noexcept {
  if (s.size() < lowercase_prefix.size()) return false;
  for (std::size_t i = 0; i < lowercase_prefix.size(); ++i)
    if (lower(s[i]) != lowercase_prefix[i]) return false;
  return true;
}

}  // namespace corral::http_head
