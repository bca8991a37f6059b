// The access log (server.access_log): one JSON object per request, formatted on the I/O thread
// into that thread's LogBuffer and handed to the writer thread (log_writer.hpp) in batches: when
// the buffer holds kBatchLines lines or kBatchBytes bytes, and once a second by the thread's timer,
// so a line reaches the file within about a second and the writer is woken once per batch, not
// once per line. Lines of one I/O thread keep their order; lines of different threads are in the
// order their batches were handed over. When the writer falls behind, the oldest waiting lines are
// dropped and counted, and no I/O thread ever waits for the disk. A line never holds a key, a
// header value or anything of the request body besides the model name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "observability/log_writer.hpp"
#include "observability/request_record.hpp"

namespace corral::observability {

class LogBuffer;

// One configuration snapshot's access log: its file and the writer shared by all snapshots.
class AccessLog {
 public:
  using Pool = std::shared_ptr<LogWriter>;

  // The writer thread and its queue, shared by every AccessLog opened on it.
  static Pool make_pool();
  // Opens `target` ("stderr" or a file, appended to). Null with `error` set when the file cannot
  // be opened; null without an error for "off".
  static std::shared_ptr<AccessLog> open(const std::string& target, const Pool& pool, std::string& error);
  static std::uint64_t dropped(const Pool& pool);

  // Appends the request's line to `to` (the calling I/O thread's buffer).
  void write(LogBuffer& to, const RequestRecord& r, std::string_view client_addr) const;

  // The JSON line of one request (without the newline).
  static std::string format(const RequestRecord& r, std::string_view client_addr);
  // The same, appended to `out`.
  static void format_to(std::string& out, const RequestRecord& r, std::string_view client_addr);

 private:
  AccessLog(std::shared_ptr<LogFile> file, Pool writer) : file_(std::move(file)), writer_(std::move(writer)) {}
  std::shared_ptr<LogFile> file_;
  Pool writer_;
};

// An I/O thread's lines on their way to the writer. Owned and used by one thread only.
class LogBuffer {
 public:
  static constexpr std::size_t kBatchLines = 64, kBatchBytes = 32 * 1024;

  LogBuffer() = default;
  LogBuffer(const LogBuffer&) = delete;
  LogBuffer& operator=(const LogBuffer&) = delete;
  ~LogBuffer() { hand_off(); }

  // Gives what the buffer holds to the writer (the thread's timer, its drain, a full buffer).
  void hand_off();
  std::size_t lines() const { return batch_.lines; }

 private:
  friend class AccessLog;
  LogBatch batch_;
  std::shared_ptr<LogWriter> writer_;  // where batch_ goes
};

// `s` as a JSON string (quoted); bytes outside printable ASCII are escaped, so a line is always
// valid JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s);

}  // namespace corral::observability
