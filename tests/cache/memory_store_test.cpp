#include "cache/memory_store.hpp"

#include <gtest/gtest.h>

namespace corral::cache {
namespace {

using namespace std::chrono_literals;

AnswerPtr answer(std::size_t body_bytes) {
  auto a = std::make_shared<CachedAnswer>();
  a->content_type = "application/json";
  a->body.assign(body_bytes, 'x');
  return a;
}

TEST(MemoryStore, EntriesExpire) {
  MemoryStore s(1 << 20);
  MemoryStore::Time t0{};
  s.put("k", answer(10), t0 + 1s);
  EXPECT_TRUE(s.get("k", t0 + 999ms));
  EXPECT_FALSE(s.get("k", t0 + 1s));
  EXPECT_EQ(s.entries(), 0u);
  EXPECT_EQ(s.bytes(), 0u);
}

TEST(MemoryStore, BoundedInBytesLeastRecentlyUsedLeavesFirst) {
  const std::size_t one = answer(1000)->bytes() + 2;  // entry plus key "kN"
  MemoryStore s(one * 3);
  MemoryStore::Time t0{};
  for (auto k : {"k1", "k2", "k3"}) s.put(k, answer(1000), t0 + 1h);
  EXPECT_TRUE(s.get("k1", t0));  // k1 is now the most recently used
  s.put("k4", answer(1000), t0 + 1h);
  EXPECT_FALSE(s.get("k2", t0));  // the least recently used went
  EXPECT_TRUE(s.get("k1", t0));
  EXPECT_TRUE(s.get("k3", t0));
  EXPECT_TRUE(s.get("k4", t0));
  EXPECT_LE(s.bytes(), one * 3);
  s.put("huge", answer(one * 4), t0 + 1h);  // larger than the whole store: not kept
  EXPECT_FALSE(s.get("huge", t0));
  EXPECT_EQ(s.entries(), 3u);
  s.set_max_bytes(one);
  EXPECT_EQ(s.entries(), 1u);
}

TEST(CachedAnswer, SerializesAndParses) {
  CachedAnswer a{1790000000123, "text/event-stream", std::string("data: {\"x\":1}\n\n\0binary", 22)};
  auto b = CachedAnswer::parse(a.serialize());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->stored_unix_ms, a.stored_unix_ms);
  EXPECT_EQ(b->content_type, a.content_type);
  EXPECT_EQ(b->body, a.body);
  EXPECT_FALSE(CachedAnswer::parse("something else"));
  EXPECT_FALSE(CachedAnswer::parse("corral1\nnot-a-number\n"));
  EXPECT_EQ(a.age_seconds(std::chrono::system_clock::time_point(std::chrono::milliseconds(1790000005200))), 5);
}

}  // namespace
}  // namespace corral::cache
