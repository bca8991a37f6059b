#include "observability/log_writer.hpp"

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace corral::observability {

std::shared_ptr<LogFile> LogFile::open(const std::string& target, std::string& error) {
  if (target == "stderr") return std::shared_ptr<LogFile>(new LogFile(STDERR_FILENO, false));
  const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    error = "cannot open " + target + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::shared_ptr<LogFile>(new LogFile(fd, true));
}

LogFile::~LogFile() {
  if (owned_) ::close(fd_);
}

bool LogFile::write_all(std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(fd_, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

LogWriter::LogWriter(std::size_t max_queued_lines) : max_lines_(max_queued_lines), thread_([this] { run(); }) {}

LogWriter::~LogWriter() {
  {
    std::lock_guard lock(m_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LogWriter::submit(LogBatch b) {
  if (b.lines == 0) return;
  std::vector<LogBatch> pushed_out;  // freed after the lock is let go
  bool wake = false;
  {
    std::lock_guard lock(m_);
    while (!queue_.empty() && queued_lines_ + b.lines > max_lines_) {
      queued_lines_ -= queue_.front().lines;
      dropped_.fetch_add(queue_.front().lines, std::memory_order_relaxed);
      pushed_out.push_back(std::move(queue_.front()));
      queue_.pop_front();
      ++finished_;
    }
    queued_lines_ += b.lines;
    queue_.push_back(std::move(b));
    ++submitted_;
    wake = asleep_;
    asleep_ = false;  // one wake-up is enough until it sleeps again
  }
  if (wake) wake_.notify_one();
  if (!pushed_out.empty()) done_.notify_all();
}

void LogWriter::sync() {
  std::unique_lock lock(m_);
  const auto target = submitted_;
  done_.wait(lock, [&] { return finished_ >= target; });
}

std::size_t LogWriter::queued_lines() {
  std::lock_guard lock(m_);
  return queued_lines_;
}

void LogWriter::run() {
  std::deque<LogBatch> taken;
  bool failing = false;
  std::unique_lock lock(m_);
  for (;;) {
    if (queue_.empty()) {
      if (stop_) break;
      asleep_ = true;
      wake_.wait(lock, [&] { return !queue_.empty() || stop_; });
      asleep_ = false;
      continue;
    }
    taken.swap(queue_);
    queued_lines_ = 0;
    lock.unlock();
    std::uint64_t written = 0, failed = 0;
    for (auto& b : taken) {
      if (b.file && b.file->write_all(b.text)) {
        written += b.lines;
        failing = false;
      } else {
        failed += b.lines;
        if (!failing) spdlog::error("access log: cannot write ({}); lines are dropped and counted", std::strerror(errno));
        failing = true;
      }
    }
    const auto n = taken.size();
    taken.clear();  // the batches' buffers (and a file replaced by a reload) go here, not under the lock
    written_.fetch_add(written, std::memory_order_relaxed);
    dropped_.fetch_add(failed, std::memory_order_relaxed);
    lock.lock();
    finished_ += n;
    done_.notify_all();
  }
}

}  // namespace corral::observability
