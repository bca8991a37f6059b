#include "api/json_scan.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::api::jscan {
namespace {

TEST(JsonScan, AcceptsWhatRfc8259AcceptsAndNothingElse) {
  for (const char* good : {"0", "-0", "1.5e+3", "-12.25E-2", "true", "false", "null", R"("")",
                           R"("a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00")", "[]", "{}", " [ 1 , [ ] , { } ] ",
                           R"({"a":{"b":[1,{"c":null}]},"d":"e"})", "\t\r\n{ \"k\" :\t1 }\n"}) {
    EXPECT_FALSE(whole(good).empty()) << good;
    EXPECT_FALSE(nlohmann::json::parse(good, nullptr, false).is_discarded()) << good;  // the oracle agrees
  }
  for (const char* bad : {"", " ", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "True", "\"abc", "\"\\x\"",
                          "\"\\u12g4\"", "\"\\u12\"", "\"tab\there\"", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}",
                          "{a:1}", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "1 2", "{} {}", "[", "]", "'a'", "NaN"}) {
    EXPECT_TRUE(whole(bad).empty()) << bad;
    EXPECT_TRUE(nlohmann::json::parse(bad, nullptr, false).is_discarded()) << bad;
  }
}

TEST(JsonScan, StringsAreWellFormedUtf8) {
  for (const char* good : {"\"caf\xc3\xa9\"", "\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"", "\"\xf4\x8f\xbf\xbf\"",
                           "\"\xed\x9f\xbf\""}) {
    EXPECT_FALSE(whole(good).empty()) << good;
    EXPECT_FALSE(nlohmann::json::parse(good, nullptr, false).is_discarded()) << good;
  }
  // A lone continuation byte, a truncated sequence, overlong forms, a surrogate, past U+10FFFF.
  for (const char* bad : {"\"\x80\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"",
                          "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xff\""}) {
    EXPECT_TRUE(whole(bad).empty()) << bad;
    EXPECT_TRUE(nlohmann::json::parse(bad, nullptr, false).is_discarded()) << bad;
  }
}

// Strict: what a parser that decodes every value refuses, the scan refuses too, and no more.
TEST(JsonScan, StrictRefusesWhatADecodingParserRefuses) {
  const auto strict_ok = [](std::string_view v) { return value_end(v, 0, true) == v.size(); };
  for (const char* good : {R"("\ud83d\ude00")", R"("\uD83D\uDE00x")", R"("\u00e9")", "1e308", "-1.7e308", "1e-400",
                           "0.0000e400", "-0", "123456789012345678901234567890", "0.00001e310"}) {
    EXPECT_TRUE(strict_ok(good)) << good;
    EXPECT_FALSE(nlohmann::json::parse(good, nullptr, false).is_discarded()) << good;
  }
  for (const char* bad : {R"("\ud800")", R"("\ud800x")", R"("\ude00\ud83d")", R"("\ud83d\u0041")", "1e309",
                          "-1e400", "18e307", "0.1e310", "1E7419102460"}) {
    EXPECT_FALSE(strict_ok(bad)) << bad;
    EXPECT_TRUE(value_end(bad, 0) == std::strlen(bad)) << bad;  // grammatical all the same
    EXPECT_TRUE(nlohmann::json::parse(bad, nullptr, false).is_discarded()) << bad;
  }
  const std::string huge = "1" + std::string(400, '0');
  EXPECT_FALSE(strict_ok(huge));
  EXPECT_TRUE(strict_ok("0." + std::string(400, '0') + "1"));
}

// Strings are scanned sixteen bytes at a time where the machine can: whatever must stop the scan
// is found at every position of a long string.
TEST(JsonScan, LongStringsStopWhereTheyMust) {
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text = "\"" + std::string(40, 'a') + "\"";
    const auto put = [&](std::string_view what) { return std::string(text).replace(1 + at, 1, what); };
    EXPECT_EQ(whole(put("\x01")), "") << at;                       // a control byte
    EXPECT_EQ(whole(put("\xff")), "") << at;                       // not UTF-8
    EXPECT_EQ(whole(put("\\q")), "") << at;                       // a bad escape
    EXPECT_EQ(value_end(put("\""), 0), at + 2) << at;              // the end, early
    EXPECT_FALSE(whole(put("\\\"")).empty()) << at;               // an escaped quote
    EXPECT_FALSE(whole(put("\xc3\xa9")).empty()) << at;            // two bytes of UTF-8
  }
}

TEST(JsonScan, NestingIsBounded) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(whole(ok), ok);
  EXPECT_TRUE(whole(deep).empty());
  EXPECT_TRUE(whole(std::string(100000, '[')).empty());  // no recursion past the bound
}

TEST(JsonScan, MembersAndElementsAreRawSlicesInOrder) {
  const auto obj = whole(R"( {"s":"x\"y", "n" : -1.5, "o":{"p":[1, 2]}, "a":[ ], "s":2} )");
  std::vector<std::pair<std::string_view, std::string_view>> seen;
  EXPECT_TRUE(members(obj, [&](auto k, auto v) { seen.emplace_back(k, v); }));
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0], (std::pair<std::string_view, std::string_view>{"s", R"("x\"y")"}));
  EXPECT_EQ(seen[1].second, "-1.5");
  EXPECT_EQ(seen[2].second, R"({"p":[1, 2]})");
  EXPECT_EQ(seen[3].second, "[ ]");
  EXPECT_EQ(member(obj, "s"), R"("x\"y")");  // the first of a repeated key
  EXPECT_EQ(member(obj, "missing"), "");
  EXPECT_EQ(member("[1]", "s"), "");
  std::vector<std::string_view> items;
  EXPECT_TRUE(elements(member(member(obj, "o"), "p"), [&](auto v) { items.push_back(v); }));
  EXPECT_EQ(items, (std::vector<std::string_view>{"1", "2"}));
  EXPECT_FALSE(members("{\"a\":1", [](auto, auto) {}));
  EXPECT_FALSE(elements("[1,", [](auto) {}));
}

// What skip_value passes over ends where value_end says for every well-formed value; it checks
// nothing else, but never runs past the text.
TEST(JsonScan, SkippedValuesEndWhereCheckedOnesDo) {
  for (const char* good : {"0", "-12.25E-2", "true", "null", R"("")", R"("a\"b\\")", R"("a]}\\")",
                           "[]", "{}", R"({"a":{"b":[1,{"c":"]}"}]},"d":"e\""})", "[ 1 , [ ] , { } ]",
                           R"(["{",["]"],{"[":"\\"}])"}) {
    const std::string v = std::string(good) + ",\"next\":1}";
    EXPECT_EQ(skip_value(v, 0), value_end(v, 0)) << good;
    EXPECT_EQ(skip_value(v, 0), std::strlen(good)) << good;
  }
  EXPECT_EQ(skip_value("\"caf\xff\",", 0), 6u);  // not UTF-8: passed over all the same
  EXPECT_EQ(skip_value("[1 2]", 0), 5u);
  for (const char* cut : {"", "\"abc", "\"ab\\\"", "[1,{", "{\"a\":\"}\"", ",", "}", " 1"})
    EXPECT_EQ(skip_value(cut, 0), npos) << cut;
}

// A container is passed over by searches sixteen bytes at a time; it must end where a byte-by-byte
// reading does (a quote opens a string, which its next unescaped quote closes; outside strings
// brackets nest), for any bytes, with its quotes, brackets and escapes at every offset from a
// block's start, and over several blocks.
std::size_t container_end_by_bytes(std::string_view s, std::size_t i) {
  std::size_t depth = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i)
        if (s[i] == '\\') ++i;
      if (i >= s.size()) return npos;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return npos;
}

TEST(JsonScan, ContainersPassedOverEndWhereByteByByte) {
  // (The third: brackets rare, so that containers run over several blocks before they close.)
  const std::string alphabets[] = {"\"\\{}[]a,:\xff", "\"{}[]a,:\xff",
                                   "\"\"{}[]aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
  std::uint64_t x = 88172645463325252ull;  // xorshift: the same cases in every run
  const auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int round = 0; round < 40000; ++round) {
    const auto& alphabet = alphabets[round % 3];
    std::string s(1 + next() % 150, 'a');
    for (auto& c : s) c = alphabet[next() % alphabet.size()];
    s[0] = next() % 2 ? '{' : '[';
    // Runs of plain bytes put the events at every offset within a block.
    if (next() % 2) s.insert(1 + next() % s.size(), std::string(next() % 20, 'x'));
    EXPECT_EQ(skip_value(s, 0), container_end_by_bytes(s, 0)) << s;
  }
}

TEST(JsonScan, MembersCheckingChecksOnlyWhatItIsAskedTo) {
  const std::string_view obj = R"({"skip":["\xff",{"x":1 2}],"read":{"n":1},"after":tru})";
  std::vector<std::string_view> keys;
  const auto only_read = [](std::string_view k) { return k == "read"; };
  EXPECT_TRUE(members_checking(obj, only_read, [&](auto k, auto) { keys.push_back(k); }));
  EXPECT_EQ(keys, (std::vector<std::string_view>{"skip", "read", "after"}));
  EXPECT_FALSE(members(obj, [](auto, auto) {}));  // all checked: refused
  EXPECT_FALSE(members_checking(R"({"read":{"n":1 2}})", only_read, [](auto, auto) {}));
  EXPECT_FALSE(members_checking(R"({"skip":[1})", only_read, [](auto, auto) {}));
  EXPECT_FALSE(members_checking(R"({"skip":1} x)", only_read, [](auto, auto) {}));
}

// An object checked already is read without checking again: the same members as members() gives
// on a well-formed one; on text no pass has checked, only its structure is followed.
TEST(JsonScan, MembersCheckedReadsAsMembersDoes) {
  for (std::string_view obj : {R"({})", R"({ "a" : 1 , "b":"x\"}", "c":[{"d":"]"}], "e":{"f":null}})",
                               R"({"k\u0041":true,"dup":1,"dup":2})", "{\"caf\xc3\xa9\":\"\xf0\x9f\x98\x80\"}"}) {
    std::vector<std::pair<std::string_view, std::string_view>> checked, all;
    EXPECT_TRUE(members(obj, [&](auto k, auto v) { all.emplace_back(k, v); })) << obj;
    EXPECT_TRUE(members_checked(obj, [&](auto k, auto v) { checked.emplace_back(k, v); })) << obj;
    EXPECT_EQ(checked, all) << obj;
  }
  // Not checked again: a bad byte in a key or value passes (what a checking pass would refuse).
  EXPECT_TRUE(members_checked("{\"\xff\":\"\xfe\"}", [](auto, auto) {}));
  EXPECT_FALSE(members("{\"\xff\":\"\xfe\"}", [](auto, auto) {}));
  EXPECT_FALSE(members_checked(R"({"a":1)", [](auto, auto) {}));  // the structure is still followed
  EXPECT_FALSE(members_checked(R"({"a" 1})", [](auto, auto) {}));
}

// An array checked already is read the same way: the same elements as elements() gives on a
// well-formed one; on text no pass has checked, only its structure is followed.
TEST(JsonScan, ElementsCheckedReadsAsElementsDoes) {
  for (std::string_view arr : {R"([])", R"([ ])", R"([1, "a\"]", {"b":[2,"]"]} , [ ], true,null , -0.5e3])",
                               "[\"\xf0\x9f\x98\x80\", \"caf\xc3\xa9\"]"}) {
    std::vector<std::string_view> checked, all;
    EXPECT_TRUE(elements(arr, [&](auto v) { all.push_back(v); })) << arr;
    EXPECT_TRUE(elements_checked(arr, [&](auto v) { checked.push_back(v); })) << arr;
    EXPECT_EQ(checked, all) << arr;
  }
  std::vector<std::string_view> items;
  EXPECT_TRUE(elements_checked(R"([{"x":"}"}, [1,[2]], "s"])", [&](auto v) { items.push_back(v); }));
  EXPECT_EQ(items, (std::vector<std::string_view>{R"({"x":"}"})", "[1,[2]]", R"("s")"}));
  // Not checked again: a bad byte in a string passes (what a checking pass would refuse).
  EXPECT_TRUE(elements_checked("[\"\xff\"]", [](auto) {}));
  EXPECT_FALSE(elements("[\"\xff\"]", [](auto) {}));
  EXPECT_FALSE(elements_checked("[1,", [](auto) {}));  // the structure is still followed
  EXPECT_FALSE(elements_checked("[1 2]", [](auto) {}));
  EXPECT_FALSE(elements_checked("[1] ", [](auto) {}));
  EXPECT_FALSE(elements_checked("{}", [](auto) {}));
}

// An array's elements read in place: each reader is handed the element's start and says where it
// ends; an object read by members_checked_at gives the members members() gives, and the array
// ends where elements() says.
TEST(JsonScan, ElementsReadInPlace) {
  const std::string_view arr = R"([ {"a":1,"b":"]}"} , 2, {"c":[{"d":null}]} ])";
  std::vector<std::string_view> elems;
  ASSERT_TRUE(elements(arr, [&](auto v) { elems.push_back(v); }));
  std::vector<std::pair<std::string_view, std::string_view>> read, expected;
  std::size_t n = 0;
  EXPECT_TRUE(elements_reading(arr, [&](std::string_view s, std::size_t start) {
    EXPECT_EQ(s.substr(start, elems[n].size()), elems[n]);
    ++n;
    if (s[start] != '{') return skip_value(s, start);
    return members_checked_at(s, start, [&](auto k, auto v) { read.emplace_back(k, v); });
  }));
  EXPECT_EQ(n, 3u);
  for (auto e : elems)
    if (is_object(e)) members(e, [&](auto k, auto v) { expected.emplace_back(k, v); });
  EXPECT_EQ(read, expected);
  // A reader's npos, or what follows an element, ends the pass as malformed.
  EXPECT_FALSE(elements_reading(arr, [](std::string_view, std::size_t) { return npos; }));
  EXPECT_FALSE(elements_reading("[{} {}]", [](std::string_view s, std::size_t i) { return skip_value(s, i); }));
  EXPECT_FALSE(elements_reading("[{\"a\":1]", [](std::string_view s, std::size_t i) {
    return members_checked_at(s, i, [](auto, auto) {});
  }));
}

// elements_at reads an array where a pass finds it inside a larger text, and says where it ends;
// with value_end as the reader, everything it passes is checked.
TEST(JsonScan, ElementsAtEndWhereTheArrayEnds) {
  const std::string_view text = R"({"a":[1, "x" ,[2]] ,"b":0})";
  const auto start = text.find('[');
  std::vector<std::string_view> seen;
  const auto end = elements_at(text, start, [&](std::string_view s, std::size_t i) {
    const auto e = value_end(s, i);
    seen.push_back(s.substr(i, e - i));
    return e;
  });
  EXPECT_EQ(text.substr(start, end - start), R"([1, "x" ,[2]])");
  EXPECT_EQ(seen, (std::vector<std::string_view>{"1", "\"x\"", "[2]"}));
  const auto check = [](std::string_view s, std::size_t i) { return value_end(s, i); };
  EXPECT_EQ(elements_at("[] ", 0, check), 2u);
  for (std::string_view bad : {"[1,]", "[1 2]", "[1", "[", "{}", "", "[\"\x01\"]", "[tru]"})
    EXPECT_EQ(elements_at(bad, 0, check), npos) << bad;
}

// named_members: the values of the names asked for, in the order asked; the last of a repeated
// name; names compared decoded.
TEST(JsonScan, NamedMembersAreReadInOneWalk) {
  std::string buf;
  const auto [a, b, c] =
      named_members(R"({"b":[1],"a":"x","\u0063":null,"a":2,"d":{}})", {"a", "b", "c"}, buf);
  EXPECT_EQ(a, "2");
  EXPECT_EQ(b, "[1]");
  EXPECT_EQ(c, "null");
  const auto [none] = named_members("[1]", {"a"}, buf);
  EXPECT_TRUE(none.empty());
}

// object_in: an object as it is; the object a string's JSON text holds, checked strictly; else {}.
TEST(JsonScan, ObjectInAValueOrItsText) {
  std::string buf;
  EXPECT_EQ(object_in(R"({"a": 1})", buf), R"({"a": 1})");
  EXPECT_EQ(object_in(R"(" {\"a\":[1]} ")", buf), R"({"a":[1]})");
  for (std::string_view none : {"", "null", "[1]", "3", R"("[1]")", R"("not json")", R"("{\"a\":1} x")",
                                R"("{\"s\":\"\\ud800\"}")", R"("{\"n\":1e999}")"})
    EXPECT_EQ(object_in(none, buf), "{}") << none;
}

// decoded_size is the size decode writes, without writing it: plain runs of any length, every
// kind of escape, at the start, in the middle and at the end of the string.
TEST(JsonScan, DecodedSizeIsWhatDecodeWrites) {
  const std::string long_run(100, 'x');
  for (std::string v : {std::string(R"("")"), std::string(R"("a")"), "\"" + long_run + "\"",
                        std::string(R"("\n")"), std::string(R"("a\"b\\c\/d")"), std::string(R"("\u0041\u00e9\u20ac")"),
                        std::string(R"("\ud83d\ude00 and \ud83d alone")"), std::string(R"("\ude00")"),
                        std::string("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""), "\"" + long_run + "\\t" + long_run + "\\u0041\"",
                        "\"\\\\" + long_run + "\\\"\""}) {
    std::string decoded;
    ASSERT_TRUE(decode(v, decoded)) << v;
    EXPECT_EQ(decoded_size(v), decoded.size()) << v;
  }
  EXPECT_EQ(decoded_size(""), 0u);
}

TEST(JsonScan, ValuesTheTranslationsRead) {
  EXPECT_TRUE(string_is(R"("text")", "text"));
  EXPECT_FALSE(string_is(R"("te\u0078t")", "text"));  // keys and tags are compared as written
  EXPECT_TRUE(is_text(R"("a")"));
  EXPECT_FALSE(is_text(R"("")"));
  EXPECT_EQ(to_unsigned("42"), 42u);
  EXPECT_EQ(to_unsigned("-1"), 0u);
  EXPECT_EQ(to_unsigned("1.5"), 0u);
  EXPECT_EQ(to_unsigned("\"7\""), 0u);
  EXPECT_EQ(to_unsigned("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(to_unsigned("18446744073709551616"), 0u);
}

TEST(JsonScan, EscapingAndDecodingAreInverse) {
  const std::string text = std::string("quote \" backslash \\ nl \n cr \r tab \t bell \x07 nul ") + '\0' +
                           " caf\xc3\xa9 \xf0\x9f\x98\x80";
  std::string quoted = "\"";
  append_escaped(quoted, text);
  quoted += '"';
  EXPECT_EQ(whole(quoted), quoted);
  EXPECT_EQ(nlohmann::json::parse(quoted).get<std::string>(), text);
  std::string back;
  ASSERT_TRUE(decode(quoted, back));
  EXPECT_EQ(back, text);

  back.clear();
  ASSERT_TRUE(decode(R"("\ud83d\ude00 \u00e9\/\ud800x")", back));
  EXPECT_EQ(back, "\xf0\x9f\x98\x80 \xc3\xa9/\xef\xbf\xbdx");  // a lone surrogate is U+FFFD
  back.clear();
  for (const auto& [raw, plain] : std::vector<std::pair<std::string, std::string>>{
           {R"("")", ""}, {R"("gpt-4.1")", "gpt-4.1"}, {R"("\n")", "\n"}, {R"("ab\tc\\")", "ab\tc\\"},
           {R"("\"x\"")", "\"x\""}}) {  // runs between escapes copied whole, at either end or none
    back.clear();
    ASSERT_TRUE(decode(raw, back)) << raw;
    EXPECT_EQ(back, plain) << raw;
  }
  back.clear();
  EXPECT_FALSE(decode("\"unterminated", back));
  EXPECT_FALSE(decode("12", back));
}

}  // namespace
}  // namespace corral::api::jscan
