// HTTP/1.x message heads written straight into a string: the request line or status line, fields,
// the blank line, and chunk-size lines. corral writes the heads it relays this way (the upstream
// request, the client's answer) instead of filling a field container and running Beast's
// serializer over it: one append per piece, no allocation once the string has its capacity.
// Names and values are written as given: callers pass names that are tokens and values without
// CR or LF (parsed fields, configured headers checked at load, values corral makes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace corral::http_head {

// "HTTP/1.1 200 OK\r\n"; an empty reason takes the status code's standard phrase.
void status_line(std::string& out, unsigned version, unsigned status, std::string_view reason);
// "POST /v1/chat/completions HTTP/1.1\r\n"
void request_line(std::string& out, std::string_view method, std::string_view target, unsigned version);
// "name: value\r\n"
void field(std::string& out, std::string_view name, std::string_view value);
void field(std::string& out, std::string_view name, std::uint64_t value);
// The blank line that ends a head.
inline void end(std::string& out) { out.append("\r\n", 2); }

// A chunk's size line ("1a2b\r\n") written into `buf`; returns its length. 18 bytes hold any size.
std::size_t chunk_size_line(char (&buf)[18], std::size_t size) noexcept;

// ASCII case-insensitive comparisons for field names (inline: most calls end at the length).
constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }
// Eight bytes at a time: names of one length usually share a prefix ("x-ratelimit-…"), and two
// bytes that differ in more than the case bit (0x20) differ whatever their case; a word whose bytes
// differ in that bit alone is compared byte by byte (equal only where both bytes are letters).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    const std::uint64_t d = x ^ y;
    if (d == 0) continue;
    if ((d & ~std::uint64_t{0x2020202020202020}) != 0) return false;
    for (std::size_t k = i; k < i + 8; ++k)
      if (ascii_lower(a[k]) != ascii_lower(b[k])) return false;
  }
  for (; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}
inline bool istarts_with(std::string_view s, std::string_view lowercase_prefix) noexcept {
  if (s.size() < lowercase_prefix.size()) return false;
  for (std::size_t i = 0; i < lowercase_prefix.size(); ++i)
    if (ascii_lower(s[i]) != lowercase_prefix[i]) return false;
  return true;
}

}  // namespace corral::http_head
