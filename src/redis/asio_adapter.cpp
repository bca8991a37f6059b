#include "redis/asio_adapter.hpp"

#include <hiredis/async.h>

#include <boost/asio/post.hpp>

namespace corral::redis {

std::shared_ptr<AsioAdapter> AsioAdapter::attach(redisAsyncContext* ac, const asio::any_io_executor& ex) {
  if (ac == nullptr || ac->ev.data != nullptr) return nullptr;
  auto a = std::make_shared<AsioAdapter>(ac, ex, ac->c.fd);
  ac->ev.data = a.get();
  ac->ev.addRead = &AsioAdapter::add_read;
  ac->ev.delRead = &AsioAdapter::del_read;
  ac->ev.addWrite = &AsioAdapter::add_write;
  ac->ev.delWrite = &AsioAdapter::del_write;
  ac->ev.cleanup = &AsioAdapter::cleanup;
  return a;
}

AsioAdapter::AsioAdapter(redisAsyncContext* ac, const asio::any_io_executor& ex, int fd) : ac_(ac), fd_(ex, fd) {}

AsioAdapter::~AsioAdapter() {
  // The context must have been freed first (cleanup detached us); never close hiredis's fd.
  if (fd_.is_open()) fd_.release();
}

void AsioAdapter::add_read(void* self) {
  auto* a = static_cast<AsioAdapter*>(self);
  a->want_read_ = true;
  a->arm_read();
}

void AsioAdapter::del_read(void* self) { static_cast<AsioAdapter*>(self)->want_read_ = false; }

void AsioAdapter::add_write(void* self) {
  auto* a = static_cast<AsioAdapter*>(self);
  a->want_write_ = true;
  if (a->flushing_) return;  // asked by the flush that runs now: it waits for the socket after
  // Until connected, writability is how hiredis learns the connect finished: wait for it.
  if (a->ac_ && (a->ac_->c.flags & REDIS_CONNECTED) != 0) {
    a->post_flush();
  } else {
    a->arm_write();
  }
}

void AsioAdapter::del_write(void* self) { static_cast<AsioAdapter*>(self)->want_write_ = false; }

// The context is being freed: stop watching the fd (hiredis closes it) and forget the context.
void AsioAdapter::cleanup(void* self) {
  auto* a = static_cast<AsioAdapter*>(self);
  a->want_read_ = a->want_write_ = false;
  a->ac_->ev.data = nullptr;
  a->ac_ = nullptr;
  if (a->fd_.is_open()) a->fd_.release();  // cancels the pending waits
}

void AsioAdapter::arm_read() {
  if (reading_ || !want_read_ || !ac_) return;
  reading_ = true;
  fd_.async_wait(asio::posix::stream_descriptor::wait_read, [weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->reading_ = false;
    if (ec || !self->ac_ || !self->want_read_) return;
    redisAsyncHandleRead(self->ac_);  // may free the context (cleanup runs)
    self->arm_read();
  });
}

void AsioAdapter::post_flush() {
  if (flush_posted_ || writing_) return;
  flush_posted_ = true;
  asio::post(fd_.get_executor(), [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->flush_posted_ = false;
    if (!self->ac_ || !self->want_write_) return;
    self->flushing_ = true;
    redisAsyncHandleWrite(self->ac_);  // may free the context (cleanup runs); `self` keeps us
    self->flushing_ = false;
    self->arm_write();  // what did not fit waits for the socket
  });
}

void AsioAdapter::arm_write() {
  if (writing_ || !want_write_ || !ac_) return;
  writing_ = true;
  fd_.async_wait(asio::posix::stream_descriptor::wait_write, [weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->writing_ = false;
    if (ec || !self->ac_ || !self->want_write_) return;
    redisAsyncHandleWrite(self->ac_);
    self->arm_write();
  });
}

}  // namespace corral::redis
