// The answers' head fields, recycled per thread: the HeadFields given back last is the next one
// taken, with its storage; it comes back empty; the stack and what it keeps are bounded; another
// thread has a stack of its own.
#include "upstream/answer_fields.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace corral::upstream {
namespace {

void fill(HeadFields& f, std::size_t value_bytes) {
  f.add(http::field::content_type, "text/event-stream");
  f.add("x-request-id", std::string(value_bytes, 'v'));
}

TEST(AnswerFields, TheOneGivenBackIsTheNextTakenWithItsStorageAndEmpty) {
  const HeadFields* first = nullptr;
  std::size_t bytes = 0;
  {
    const AnswerFields a;
    fill(*a, 200);
    first = &*a;
    bytes = a->storage_bytes();
  }
  const auto kept = AnswerFields::kept();
  EXPECT_GE(kept, 1u);
  const AnswerFields b;
  EXPECT_EQ(&*b, first);
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(b->value(http::field::content_type), "");
  EXPECT_EQ(b->storage_bytes(), bytes);  // nothing to allocate for the next head of that size
  EXPECT_EQ(AnswerFields::kept(), kept - 1);
}

TEST(AnswerFields, RelaysAtOnceHoldFieldsOfTheirOwn) {
  const AnswerFields a, b;
  EXPECT_NE(&*a, &*b);
  fill(*a, 10);
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(a->value(http::field::content_type), "text/event-stream");
}

TEST(AnswerFields, ALongHeadsStorageIsNotKept) {
  {
    const AnswerFields a;
    fill(*a, AnswerFields::kKeptBytes + 1);
    EXPECT_GT(a->storage_bytes(), AnswerFields::kKeptBytes);
  }
  const AnswerFields b;  // the same HeadFields, without the long head's storage
  EXPECT_EQ(b->storage_bytes(), HeadFields().storage_bytes());
}

TEST(AnswerFields, TheStackIsBoundedAndPerThread) {
  {
    std::vector<std::optional<AnswerFields>> many(AnswerFields::kKept + 10);
    for (auto& f : many) f.emplace();
    EXPECT_EQ(AnswerFields::kept(), 0u);
  }
  EXPECT_EQ(AnswerFields::kept(), AnswerFields::kKept);
  std::size_t other = 1;
  std::thread([&] { other = AnswerFields::kept(); }).join();
  EXPECT_EQ(other, 0u);
}

}  // namespace
}  // namespace corral::upstream
