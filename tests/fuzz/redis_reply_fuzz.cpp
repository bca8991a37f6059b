// Redis replies: hiredis's protocol reader with corral's bounded reply functions, fed the bytes in
// two pieces or whole, gives the same replies; every reply copies out (redis::Reply::from) whatever
// its shape, and no declared size makes it allocate ahead of the data.
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "fuzz/fuzz_target.hpp"
#include "redis/reply.hpp"

using namespace corral;

namespace {
std::string show(const redis::Reply& r) {
  std::string s = std::to_string(static_cast<int>(r.type)) + ":" + r.str + ":" + std::to_string(r.integer) + "[";
  for (const auto& e : r.elements) s += show(e) + ",";
  return s + "]";
}

// Replies read from `in` fed in two pieces; false when the reader reports a protocol error.
bool read_all(std::string_view in, std::size_t split, std::vector<std::string>& out) {
  redisReader* reader = redisReaderCreateWithFunctions(redis::bounded_reply_functions());
  bool ok = true;
  for (auto piece : {in.substr(0, split), in.substr(split)}) {
    if (redisReaderFeed(reader, piece.data(), piece.size()) != REDIS_OK) ok = false;
    for (;;) {
      void* reply = nullptr;
      if (!ok || redisReaderGetReply(reader, &reply) != REDIS_OK) {
        ok = false;
        break;
      }
      if (!reply) break;
      out.push_back(show(redis::Reply::from(*static_cast<redisReply*>(reply))));
      freeReplyObject(reply);
    }
  }
  redisReaderFree(reader);
  return ok;
}
}  // namespace

CORRAL_FUZZ_TARGET(redis_reply) {
  const auto in = fuzz::as_text(data, size);
  std::vector<std::string> whole, pieces;
  const bool ok_whole = read_all(in, in.size(), whole);
  const bool ok_pieces = read_all(in, fuzz::split_point(in), pieces);
  FUZZ_CHECK(ok_whole == ok_pieces);
  if (ok_whole) FUZZ_CHECK(whole == pieces);
  return 0;
}
