// The access log's writer: one background thread that writes batches of lines, handed to it by
// the I/O threads, to their files. The queue is bounded in lines; a batch that would overflow it
// pushes out the oldest waiting batches, whose lines are counted as dropped, so an I/O thread never
// waits for the disk (it takes the queue's mutex for a push and wakes the writer only when the
// writer is asleep). Lines that cannot be written (disk full, a closed pipe) are counted as
// dropped too. Destroying the writer writes what is queued before its thread ends.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace corral::observability {

// A file lines are appended to: standard error, or a path opened for appending (created when
// missing, never truncated). Written by the writer thread only.
class LogFile {
 public:
  // "stderr" or a path. Null with `error` set ("cannot open <path>: <reason>") when it cannot be
  // opened.
  static std::shared_ptr<LogFile> open(const std::string& target, std::string& error);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // All of `text`, retrying short writes and interruptions; false on an error.
  bool write_all(std::string_view text);

 private:
  LogFile(int fd, bool owned) : fd_(fd), owned_(owned) {}
  int fd_;
  bool owned_;  // closed on destruction (not standard error)
};

// Whole lines, each ending in '\n', for one file.
struct LogBatch {
  std::shared_ptr<LogFile> file;
  std::string text;
  std::size_t lines = 0;
};

class LogWriter {
 public:
  static constexpr std::size_t kMaxQueuedLines = 8192;

  explicit LogWriter(std::size_t max_queued_lines = kMaxQueuedLines);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queues `b` (any thread), first dropping the oldest waiting batches while the queue would hold
  // more lines than its bound with `b` (a batch is never split, so one batch may exceed it alone).
  void submit(LogBatch b);
  // Returns once every batch submitted before the call has been written or dropped.
  void sync();

  std::size_t queued_lines();
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }

 private:
  void run();

  const std::size_t max_lines_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  std::deque<LogBatch> queue_;
  std::size_t queued_lines_ = 0;
  std::uint64_t submitted_ = 0, finished_ = 0;  // batches (for sync)
  bool asleep_ = false, stop_ = false;
  std::atomic<std::uint64_t> dropped_{0}, written_{0};
  std::thread thread_;
};

}  // namespace corral::observability
