// SHA-256 against FIPS 180-4's examples, called again and again on one thread (the context is
// reused) and from several threads at once.
#include "corral/hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace corral {
namespace {

constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kTwoBlocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr const char* kTwoBlocksText = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(Hash, Sha256MatchesTheStandardsExamples) {
  for (int round = 0; round < 3; ++round) {  // the same answers from a reused context
    EXPECT_EQ(to_hex(sha256("")), kEmpty);
    EXPECT_EQ(to_hex(sha256("abc")), kAbc);
    EXPECT_EQ(to_hex(sha256(kTwoBlocksText)), kTwoBlocks);
  }
  EXPECT_EQ(to_hex(sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_from_hex(kAbc), sha256("abc"));
}

TEST(Hash, Sha256OnSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (std::size_t t = 0; t < wrong.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i)
        if (to_hex(sha256(i % 2 ? "abc" : "")) != (i % 2 ? kAbc : kEmpty)) ++wrong[t];
    });
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace corral
