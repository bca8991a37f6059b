// Recycled read buffers: a block given back is the next one taken on the thread, the stack is
// bounded, other sizes and other threads' stacks are kept apart.
#include "upstream/read_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>

namespace corral::upstream {
namespace {

using Buffer = boost::beast::basic_flat_buffer<ReadBufferAllocator<char>>;
constexpr auto kBlock = ReadBufferBlocks::kBlockBytes;

const char* storage(Buffer& b) { return static_cast<const char*>(b.prepare(1).data()); }

TEST(ReadBuffer, AGivenBackBlockIsTheNextTaken) {
  Buffer a;
  a.reserve(kBlock);
  const char* block = storage(a);
  const auto before = ReadBufferBlocks::kept();
  a.shrink_to_fit();  // empty: the block goes back (what a connection does when parked)
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(ReadBufferBlocks::kept(), before + 1);
  Buffer b;
  b.reserve(kBlock);  // what a connection taken from a pool does
  EXPECT_EQ(storage(b), block);
  EXPECT_EQ(ReadBufferBlocks::kept(), before);
}

TEST(ReadBuffer, BytesSurviveAndAGrownBufferIsNotKept) {
  Buffer a;
  a.reserve(kBlock);
  const std::string head(3 * kBlock, 'h');  // longer than a block: the buffer grows on the heap
  auto room = a.prepare(head.size());
  std::memcpy(room.data(), head.data(), head.size());
  a.commit(head.size());
  EXPECT_GT(a.capacity(), kBlock);
  EXPECT_EQ(std::string(static_cast<const char*>(a.data().data()), a.size()), head);
  const auto before = ReadBufferBlocks::kept();
  a.consume(a.size());
  a.shrink_to_fit();
  EXPECT_EQ(ReadBufferBlocks::kept(), before);  // not a block's size: freed, not kept
}

TEST(ReadBuffer, TheStackIsBounded) {
  std::vector<Buffer> many(ReadBufferBlocks::kKept + 10);
  for (auto& b : many) b.reserve(kBlock);
  for (auto& b : many) b.shrink_to_fit();
  EXPECT_EQ(ReadBufferBlocks::kept(), ReadBufferBlocks::kKept);
  std::vector<Buffer> again(ReadBufferBlocks::kKept + 10);
  for (auto& b : again) b.reserve(kBlock);
  EXPECT_EQ(ReadBufferBlocks::kept(), 0u);
}

TEST(ReadBuffer, EachThreadHasItsOwnStack) {
  Buffer a;
  a.reserve(kBlock);
  a.shrink_to_fit();
  const auto here = ReadBufferBlocks::kept();
  ASSERT_GE(here, 1u);
  std::size_t there = 99;
  std::thread([&] {
    Buffer b;
    b.reserve(kBlock);  // from the heap: this thread's stack is empty
    there = ReadBufferBlocks::kept();
  }).join();  // b's block went to that thread's stack, freed when the thread ended
  EXPECT_EQ(there, 0u);
  EXPECT_EQ(ReadBufferBlocks::kept(), here);
}

}  // namespace
}  // namespace corral::upstream
