// A Redis reply copied out of hiredis (hiredis frees its own as soon as the callback returns),
// and the outcome of one command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct redisReply;

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

struct Result {
  Status status = Status::not_connected;
  Reply reply;
  bool ok() const { return status == Status::ok; }
};

}  // namespace corral::redis
