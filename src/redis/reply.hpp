// A Redis reply copied out of hiredis (hiredis frees its own as soon as the callback returns),
// and the outcome of one command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct redisReply;
struct redisReplyObjectFunctions;

namespace corral::redis {

struct Reply {
  enum class Type { nil, string, integer, status, error, array };
  Type type = Type::nil;
  std::string str;  // string, status, error
  long long integer = 0;
  std::vector<Reply> elements;

  static Reply from(const redisReply& r);
};

enum class Status {
  ok,
  not_connected,  // no connection (yet): the command was not sent
  breaker_open,   // too many recent failures: not trying for a while
  timeout,        // no reply within command_timeout
  disconnected,   // the connection dropped before the reply
  server_error,   // Redis answered with an error reply
};
std::string_view to_string(Status s);

// The functions hiredis's reader builds replies with: hiredis's own reply objects, but an array's
// slots are allocated as its elements arrive rather than all at once for the count it declares (a
// misbehaving server's "*700000000" would otherwise cost gigabytes before a single element), and
// arrays over kMaxArrayElements are refused (a protocol error: the connection is dropped).
inline constexpr int kMaxArrayElements = 1 << 20;
redisReplyObjectFunctions* bounded_reply_functions();

struct Result {
  Status status = Status::not_connected;
  Reply reply;
  bool ok() const { return status == Status::ok; }
};

}  // namespace corral::redis
