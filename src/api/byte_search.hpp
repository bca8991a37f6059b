// Searching relayed text sixteen bytes at a time (SSE2; a byte loop elsewhere): the line ends of
// an event stream, a member's name in an event, the end of a JSON string passed over. What
// std::string_view offers here calls memchr once per byte (find_first_of) or stops at every
// occurrence of the needle's first byte (find).
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace corral::api::bytes {

inline constexpr std::size_t npos = std::string_view::npos;

// The first byte at or after s[i] that is `a` or `b`, or npos.
inline std::size_t first_of(std::string_view s, std::size_t i, char a, char b) noexcept {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    if (const int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb))))
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
#endif
  for (; i < s.size(); ++i)
    if (s[i] == a || s[i] == b) return i;
  return npos;
}

// The first '\r' or '\n' at or after s[i], or npos.
inline std::size_t line_end(std::string_view s, std::size_t i) noexcept { return first_of(s, i, '\r', '\n'); }

// The first occurrence of `needle` in `s` at or after `from`, or npos (as std::string_view::find).
// Two of the needle's bytes are compared sixteen positions at a time (its second and its last:
// in JSON text a name's opening quote is common, the byte after it much less so), and only where
// both match is the whole needle compared.
inline std::size_t find(std::string_view s, std::string_view needle, std::size_t from = 0) noexcept {
  const std::size_t n = needle.size();
  if (n > s.size() || from > s.size() - n) return npos;
  if (n == 0) return from;
  std::size_t i = from;
#if defined(__SSE2__)
  if (n >= 2) {
    const std::size_t a = n > 2 ? 1 : 0, b = n - 1;
    const __m128i pa = _mm_set1_epi8(needle[a]), pb = _mm_set1_epi8(needle[b]);
    for (; i + b + 16 <= s.size(); i += 16) {
      const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i + a));
      const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i + b));
      auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(va, pa), _mm_cmpeq_epi8(vb, pb))));
      for (; m != 0; m &= m - 1) {
        const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(m));
        if (std::memcmp(s.data() + at, needle.data(), n) == 0) return at;
      }
    }
  }
#endif
  for (; i + n <= s.size(); ++i)
    if (s[i] == needle[0] && std::memcmp(s.data() + i, needle.data(), n) == 0) return i;
  return npos;
}

}  // namespace corral::api::bytes
