// Reading JSON without building it: a strict scanner over JSON text that hands out members and
// elements as slices of the text ("raw values": a string with its quotes and escapes, an object
// with its braces), so that a translation copies values from one document into another without
// decoding and encoding them again. It checks RFC 8259's grammar over everything it passes
// (strings included: escapes, and their bytes are well-formed UTF-8), nests at most 64 deep, and
// allocates nothing. Keys are compared as written: a key spelt with escapes does not match its
// plain spelling. On request (`strict`) it also refuses what a parser that decodes every value
// refuses beyond the grammar: a `\u` escape of half a UTF-16 surrogate pair without the other
// half, and a number too large for a double.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace corral::api::jscan {

inline constexpr std::size_t npos = std::string_view::npos;

// The first byte at or after s[i] that is not white space (inline: mostly there is none to skip).
inline std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && static_cast<unsigned char>(s[i]) <= ' ' &&
         (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
    ++i;
  return i;
}
// `s` without the white space around it.
std::string_view trim(std::string_view s) noexcept;
// The end of the value that starts at s[i] (no white space before it), or npos when there is no
// well-formed value there.
std::size_t value_end(std::string_view s, std::size_t i, bool strict = false) noexcept;
// `s` holds exactly one value (white space around it allowed): that value, or empty.
std::string_view whole(std::string_view s) noexcept;

// The end of the value that starts at s[i] found without checking it: a string by its closing
// quote (escapes stepped over), an object or array by its closing bracket (strings inside stepped
// over), anything else up to the next delimiter; npos when there is none. For passing over values
// a reader does not use in a text it relays as it is (what is well-formed ends where value_end
// says; what is not may be passed over).
std::size_t skip_value(std::string_view s, std::size_t i) noexcept;

namespace detail {
struct CheckAll {
  bool operator()(std::string_view) const noexcept { return true; }
};
// Nothing checked, keys included: for an object a checking pass has been through already.
struct Checked {
  bool operator()(std::string_view) const noexcept { return false; }
};
}  // namespace detail

// Calls f(key, value) for each member of the object that starts at s[i], in order; `key` is the
// text between the quotes. Returns the object's end, or npos when there is no well-formed object
// there (f may have been called for the members before the fault). With `check`, only the values
// of the members check(key) picks are checked; the others are passed over by skip_value. A `check`
// taking (key, s, start) reads each value itself and returns where it ends (npos: malformed), so
// that a value read for its contents is gone through once, not passed over and then read.
template <class F, class C = detail::CheckAll>
std::size_t members_at(std::string_view s, std::size_t i, F&& f, bool strict = false, C&& check = {}) {
  if (i >= s.size() || s[i] != '{') return npos;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == '}') return i + 1;
  for (;;) {
    if (i >= s.size() || s[i] != '"') return npos;
    const auto key_end = std::is_same_v<std::decay_t<C>, detail::Checked> ? skip_value(s, i) : value_end(s, i, strict);
    if (key_end == npos) return npos;
    const auto key = s.substr(i + 1, key_end - i - 2);
    i = skip_ws(s, key_end);
    if (i >= s.size() || s[i] != ':') return npos;
    const auto start = skip_ws(s, i + 1);
    std::size_t end;
    if constexpr (std::is_invocable_r_v<std::size_t, C, std::string_view, std::string_view, std::size_t>)
      end = check(key, s, start);
    else
      end = check(key) ? value_end(s, start, strict) : skip_value(s, start);
    if (end == npos) return npos;
    f(key, s.substr(start, end - start));
    i = skip_ws(s, end);
    if (i < s.size() && s[i] == ',') {
      i = skip_ws(s, i + 1);
      continue;
    }
    return i < s.size() && s[i] == '}' ? i + 1 : npos;
  }
}

// Calls f(key, value) for each member of the object `obj` (a raw value), in order. False when
// `obj` is not exactly one well-formed object (f may have been called for the members before the
// fault).
template <class F>
bool members(std::string_view obj, F&& f, bool strict = false) {
  return members_at(obj, 0, std::forward<F>(f), strict) == obj.size();
}

// members(), checking only the values of the members check(key) picks (the rest is passed over
// by skip_value; or, with check(key, s, start), each value read by `check`, as in members_at):
// for reading a few members of a large object relayed as it is. A well-formed object reads
// exactly as with members().
template <class C, class F>
bool members_checking(std::string_view obj, C&& check, F&& f) {
  return members_at(obj, 0, std::forward<F>(f), false, std::forward<C>(check)) == obj.size();
}

// members() of an object that has been checked already (a value inside one a checking pass went
// through): keys and values are passed over, not checked again. On a well-formed object it reads
// exactly as members() does.
template <class F>
bool members_checked(std::string_view obj, F&& f) {
  return members_at(obj, 0, std::forward<F>(f), false, detail::Checked{}) == obj.size();
}

// Goes through the elements of the array that starts at s[i]: read(s, start) reads the one that
// starts at s[start] and returns where it ends (npos: malformed). Returns the array's end, or npos.
// Whether the elements are checked is up to `read` (value_end checks what it passes over): an
// array read for its contents while a checking pass goes through it is gone through once.
template <class R>
std::size_t elements_at(std::string_view s, std::size_t i, R&& read) {
  if (i >= s.size() || s[i] != '[') return npos;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == ']') return i + 1;
  for (;;) {
    const auto end = read(s, i);
    if (end == npos) return npos;
    i = skip_ws(s, end);
    if (i < s.size() && s[i] == ',') {
      i = skip_ws(s, i + 1);
      continue;
    }
    return i < s.size() && s[i] == ']' ? i + 1 : npos;
  }
}

namespace detail {
// Goes through the elements of `arr`: element(i) reads the one that starts at arr[i] and returns
// where it ends (npos: malformed).
template <class E>
bool elements_with(std::string_view arr, E&& element) {
  return elements_at(arr, 0, [&](std::string_view, std::size_t i) { return element(i); }) == arr.size();
}

// f(value) for each element, passed over by value_end (checked) or, when `Checked`, skip_value.
template <bool Checked, class F>
bool elements_each(std::string_view arr, F&& f) {
  return elements_with(arr, [&](std::size_t i) {
    const auto end = Checked ? skip_value(arr, i) : value_end(arr, i);
    if (end != npos) f(arr.substr(i, end - i));
    return end;
  });
}
}  // namespace detail

// Calls f(value) for each element of the array `arr` (a raw value). False when malformed.
template <class F>
bool elements(std::string_view arr, F&& f) {
  return detail::elements_each<false>(arr, std::forward<F>(f));
}

// elements() of an array that has been checked already (as members_checked): the elements are
// passed over, not checked again. On a well-formed array it reads exactly as elements() does.
template <class F>
bool elements_checked(std::string_view arr, F&& f) {
  return detail::elements_each<true>(arr, std::forward<F>(f));
}

// The elements of an array that has been checked already, each read by read(arr, start), which
// returns where the element ends (npos: malformed): an element read for its contents is gone
// through once, not passed over and then read (see members_checked_at).
template <class R>
bool elements_reading(std::string_view arr, R&& read) {
  return detail::elements_with(arr, [&](std::size_t i) { return read(arr, i); });
}

// members_checked() of the object that starts at s[i]: returns its end, or npos.
template <class F>
std::size_t members_checked_at(std::string_view s, std::size_t i, F&& f) {
  return members_at(s, i, std::forward<F>(f), false, detail::Checked{});
}

// A member name (the text between its quotes, as members() hands it) as it reads: itself when
// written without escapes, else decoded into `buf`.
std::string_view key_text(std::string_view inner, std::string& buf);

// The values of the members of `obj` (an object checked already, as members_checked) named
// `names`, in that order: empty where absent; of a name written more than once, the last. Names are
// compared decoded (key_text, decoding into `buf`).
template <std::size_t N>
std::array<std::string_view, N> named_members(std::string_view obj, const std::string_view (&names)[N],
                                              std::string& buf) {
  std::array<std::string_view, N> values{};
  members_checked(obj, [&](std::string_view k, std::string_view v) {
    const auto name = key_text(k, buf);
    for (std::size_t i = 0; i < N; ++i)
      if (name == names[i]) {
        values[i] = v;
        break;
      }
  });
  return values;
}

// The object a value holds, as a tool call's arguments do: `v` itself when it is an object; when
// it is a string, the object its JSON text holds (decoded into `buf` and checked in the strict
// mode: no pass has been through the decoded text); else, or when the text holds no object, `{}`.
std::string_view object_in(std::string_view v, std::string& buf);

// The value of the first member named `key` of `obj`, or empty (absent, or `obj` not an object).
std::string_view member(std::string_view obj, std::string_view key) noexcept;

inline bool is_string(std::string_view v) noexcept { return !v.empty() && v.front() == '"'; }
inline bool is_object(std::string_view v) noexcept { return !v.empty() && v.front() == '{'; }
inline bool is_array(std::string_view v) noexcept { return !v.empty() && v.front() == '['; }
// A string other than "".
inline bool is_text(std::string_view v) noexcept { return v.size() > 2 && v.front() == '"'; }
// The string `v` is `plain` (written without escapes).
inline bool string_is(std::string_view v, std::string_view plain) noexcept {
  return v.size() == plain.size() + 2 && v.front() == '"' && v.substr(1, plain.size()) == plain;
}
// A raw string value, or `fallback` (a JSON text) when `v` is not a string.
inline std::string_view string_or(std::string_view v, std::string_view fallback) noexcept {
  return is_string(v) ? v : fallback;
}
// A non-negative integer's value, else 0 (also beyond 64 bits: what nlohmann would not read as an
// unsigned integer counts nothing here either).
std::uint64_t to_unsigned(std::string_view v) noexcept;
// An integer (no fraction, no exponent) whose magnitude fits 64 bits: its magnitude and sign.
bool integer(std::string_view v, std::uint64_t& magnitude, bool& negative) noexcept;
// The size in bytes of the raw string `v` decoded (as `decode` writes it), without decoding it.
std::size_t decoded_size(std::string_view v) noexcept;
// The raw string `v` reads `plain` once decoded (escapes compared by what they stand for).
bool reads(std::string_view v, std::string_view plain);

// Appends a number as JSON writes it.
void append_number(std::string& out, std::uint64_t n);
void append_number(std::string& out, std::int64_t n);
// Appends `text` as the inside of a JSON string (quotes, backslashes and control bytes escaped).
void append_escaped(std::string& out, std::string_view text);
// Decodes the raw string `v` into `out` (UTF-8); false when it is not a well-formed string.
bool decode(std::string_view v, std::string& out);

}  // namespace corral::api::jscan
