// Drives a hiredis async context (redisAsyncContext) from an Asio event loop. hiredis 0.14 (Debian
// 12) asks for five hooks: addRead, delRead, addWrite, delWrite and cleanup; it has no timer hook,
// so timeouts are kept by the caller (RedisClient) with Asio timers. The socket is watched through
// a stream_descriptor that is released, never closed, on cleanup: hiredis owns and closes the fd.
// Wait handlers hold weak pointers, so a completion that comes after the adapter is gone does
// nothing. One adapter per context; a second attach is refused. Used on one thread only.
//
// Writing: once connected, commands are written without waiting for the socket to be reported
// writable (it nearly always is): the first command of a handler run posts one flush, which writes
// every command queued by then in one write(2); only what does not fit waits for the socket. The
// wait alone would cost an epoll_ctl per command and a turn of the event loop before the write.
//
// Reading waits for readability (an epoll_ctl each time it is armed) and lets hiredis read. Reading
// the replies into a buffer of the adapter's and feeding hiredis's reader was tried and measured
// (strace, open loop): with Boost 1.81 a receive queued after one that returned data is first
// tried at once, so each reply then cost an EAGAIN receive in place of the epoll_ctl — the same
// two system calls per reply, for more code.
#pragma once

#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "corral/asio.hpp"

struct redisAsyncContext;

namespace corral::redis {

class AsioAdapter : public std::enable_shared_from_this<AsioAdapter> {
 public:
  // Attaches to `ac` (whose fd is open, the connect in progress). Null when `ac` already has an
  // event library attached.
  static std::shared_ptr<AsioAdapter> attach(redisAsyncContext* ac, const asio::any_io_executor& ex);

  AsioAdapter(redisAsyncContext* ac, const asio::any_io_executor& ex, int fd);
  AsioAdapter(const AsioAdapter&) = delete;
  AsioAdapter& operator=(const AsioAdapter&) = delete;
  ~AsioAdapter();

  bool attached() const { return ac_ != nullptr; }

 private:
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  void arm_read();
  void arm_write();
  void post_flush();

  redisAsyncContext* ac_;
  asio::posix::stream_descriptor fd_;
  bool want_read_ = false, want_write_ = false;  // what hiredis asked for
  bool reading_ = false, writing_ = false;      // a wait is pending
  bool flush_posted_ = false, flushing_ = false;  // a flush is posted / running
};

}  // namespace corral::redis
