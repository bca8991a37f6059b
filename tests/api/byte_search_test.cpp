#include "api/byte_search.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace corral::api::bytes {
namespace {

// Every position a line end can take in a text longer than a few blocks, alone and after another.
TEST(ByteSearch, LineEndFindsTheFirstCrOrLfAtEveryOffset) {
  for (std::size_t n = 0; n < 70; ++n) {
    for (const char end : {'\r', '\n'}) {
      for (std::size_t at = 0; at <= n; ++at) {
        std::string s(n, 'x');
        if (at < n) s[at] = end;
        for (std::size_t from = 0; from <= n; from += 7) {
          const auto want = std::string_view(s).find_first_of("\r\n", from);
          EXPECT_EQ(bytes::line_end(s, from), want) << "n=" << n << " at=" << at << " from=" << from;
        }
      }
    }
  }
  EXPECT_EQ(bytes::line_end("data: x\r\n", 0), 7u);
  EXPECT_EQ(bytes::line_end("data: x", 0), npos);
  EXPECT_EQ(bytes::line_end("", 0), npos);
}

TEST(ByteSearch, FindAgreesWithStringViewFind) {
  // Texts of a small alphabet, so that partial matches (the probed bytes alone) are common.
  std::mt19937 rng(7);
  const std::string alphabet = "\"usage:{}";
  for (int round = 0; round < 4000; ++round) {
    std::string text(rng() % 90, ' ');
    for (auto& c : text) c = alphabet[rng() % alphabet.size()];
    std::string needle(1 + rng() % 8, ' ');
    for (auto& c : needle) c = alphabet[rng() % alphabet.size()];
    if (rng() % 3 == 0 && text.size() > needle.size()) text.replace(rng() % (text.size() - needle.size()), needle.size(), needle);
    const std::size_t from = rng() % (text.size() + 2);
    EXPECT_EQ(bytes::find(text, needle, from), std::string_view(text).find(needle, from))
        << "text=" << text << " needle=" << needle << " from=" << from;
  }
  EXPECT_EQ(bytes::find("{\"model\":\"m\",\"usage\":{}}", "\"usage\""), 13u);
  EXPECT_EQ(bytes::find("abc", ""), 0u);
  EXPECT_EQ(bytes::find("abc", "", 3), 3u);
  EXPECT_EQ(bytes::find("abc", "", 4), npos);
  EXPECT_EQ(bytes::find("ab", "abc"), npos);
}

}  // namespace
}  // namespace corral::api::bytes
