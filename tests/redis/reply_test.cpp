#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <gtest/gtest.h>

#include <memory>

namespace corral::redis {
namespace {

struct Reader {
  Reader() : r(redisReaderCreateWithFunctions(bounded_reply_functions()), redisReaderFree) {}
  // Feeds `bytes`; the next complete reply (copied out), nothing when more bytes are needed, and
  // an error reply when the reader refuses them.
  std::optional<Reply> read(std::string_view bytes) {
    redisReaderFeed(r.get(), bytes.data(), bytes.size());
    void* raw = nullptr;
    if (redisReaderGetReply(r.get(), &raw) != REDIS_OK) return Reply{Reply::Type::error, r->errstr};
    if (!raw) return std::nullopt;
    auto out = Reply::from(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    return out;
  }
  std::unique_ptr<redisReader, void (*)(redisReader*)> r;
};

TEST(BoundedReplies, BuildEveryShapeOfReply) {
  Reader reader;
  auto r = reader.read("*4\r\n$5\r\nhello\r\n:42\r\n*2\r\n+OK\r\n$-1\r\n-ERR no\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, Reply::Type::array);
  ASSERT_EQ(r->elements.size(), 4u);
  EXPECT_EQ(r->elements[0].str, "hello");
  EXPECT_EQ(r->elements[1].integer, 42);
  ASSERT_EQ(r->elements[2].elements.size(), 2u);
  EXPECT_EQ(r->elements[2].elements[0].type, Reply::Type::status);
  EXPECT_EQ(r->elements[2].elements[1].type, Reply::Type::nil);
  EXPECT_EQ(r->elements[3].type, Reply::Type::error);
  EXPECT_EQ(r->elements[3].str, "ERR no");
}

TEST(BoundedReplies, AnArrayGrowsWithItsElements) {
  Reader reader;
  EXPECT_FALSE(reader.read("*1000\r\n"));  // declared, nothing allocated for it yet: waits for the elements
  for (int i = 0; i < 999; ++i) EXPECT_FALSE(reader.read(":" + std::to_string(i) + "\r\n"));
  auto r = reader.read(":999\r\n");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements.size(), 1000u);
  EXPECT_EQ(r->elements[999].integer, 999);
}

TEST(BoundedReplies, AnArrayBeyondTheBoundIsAProtocolError) {
  Reader reader;
  auto r = reader.read("*" + std::to_string(kMaxArrayElements + 1) + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, Reply::Type::error);
  Reader empty;
  r = empty.read("*0\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, Reply::Type::array);
  EXPECT_TRUE(r->elements.empty());
}

}  // namespace
}  // namespace corral::redis
