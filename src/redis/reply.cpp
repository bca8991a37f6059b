#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <bit>
#include <cstdlib>
#include <cstring>

namespace corral::redis {
namespace {

redisReply* new_reply(int type) {
  auto* r = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  if (r) r->type = type;
  return r;
}

// Puts `r` in its parent array's next slot, growing the slots to the next power of two as needed.
bool attach(const redisReadTask* task, redisReply* r) {
  if (!task->parent) return true;
  auto* parent = static_cast<redisReply*>(task->parent->obj);
  const auto n = parent->elements;
  if (static_cast<std::size_t>(task->idx) != n) return false;
  if (n == 0 || std::has_single_bit(n)) {
    auto* grown = static_cast<redisReply**>(std::realloc(parent->element, sizeof(redisReply*) * (n == 0 ? 1 : n * 2)));
    if (!grown) return false;
    parent->element = grown;
  }
  parent->element[n] = r;
  parent->elements = n + 1;
  return true;
}

void* finish(const redisReadTask* task, redisReply* r) {
  if (r && !attach(task, r)) {
    freeReplyObject(r);
    return nullptr;
  }
  return r;
}

void* create_string(const redisReadTask* task, char* str, std::size_t len) {
  auto* r = new_reply(task->type);
  if (!r) return nullptr;
  r->str = static_cast<char*>(std::malloc(len + 1));
  if (!r->str) {
    std::free(r);
    return nullptr;
  }
  std::memcpy(r->str, str, len);
  r->str[len] = '\0';
  r->len = len;
  return finish(task, r);
}

void* create_array(const redisReadTask* task, int elements) {
  if (elements < 0 || elements > kMaxArrayElements) return nullptr;
  return finish(task, new_reply(REDIS_REPLY_ARRAY));  // slots come with the elements
}

void* create_integer(const redisReadTask* task, long long value) {
  auto* r = new_reply(REDIS_REPLY_INTEGER);
  if (r) r->integer = value;
  return finish(task, r);
}

void* create_nil(const redisReadTask* task) { return finish(task, new_reply(REDIS_REPLY_NIL)); }

redisReplyObjectFunctions kBounded = {create_string, create_array, create_integer, create_nil, freeReplyObject};

}  // namespace

redisReplyObjectFunctions* bounded_reply_functions() { return &kBounded; }

Reply Reply::from(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = Type::string;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Type::status;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(from(*r.element[i]));
      break;
    default:
      out.type = Type::nil;
  }
  return out;
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::not_connected: return "not connected";
    case Status::breaker_open: return "circuit breaker open";
    case Status::timeout: return "timeout";
    case Status::disconnected: return "disconnected";
    case Status::server_error: return "server error";
  }
  return "unknown";
}

}  // namespace corral::redis
