// The access log (server.access_log): one JSON object per request, formatted on the I/O thread
// and written by a background thread (spdlog's async logger on a bounded queue shared by all
// snapshots). When the writer falls behind, the oldest waiting lines are dropped and counted,
// and no I/O thread ever waits for the disk. A line never holds a key, a header value or
// anything of the request body besides the model name.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "observability/request_record.hpp"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace corral::observability {

class AccessLog {
 public:
  using Pool = std::shared_ptr<spdlog::details::thread_pool>;
  static constexpr std::size_t kQueueLines = 8192;

  // The writer thread and its queue, shared by every AccessLog opened on it.
  static Pool make_pool();
  // Opens `target` ("stderr" or a file, appended to). Null with `error` set when the file cannot
  // be opened; null without an error for "off".
  static std::shared_ptr<AccessLog> open(const std::string& target, const Pool& pool, std::string& error);
  static std::uint64_t dropped(const Pool& pool);

  void write(const RequestRecord& r, std::string_view client_addr);
  // Asks the writer thread to flush what it has written (returns at once). Called once a second,
  // so lines reach the file within about a second without a write per line; at exit the writer
  // thread writes what is queued and closing the file flushes the rest.
  void flush();

  // The JSON line of one request (without the newline).
  static std::string format(const RequestRecord& r, std::string_view client_addr);

 private:
  explicit AccessLog(std::shared_ptr<spdlog::logger> l) : logger_(std::move(l)) {}
  std::shared_ptr<spdlog::logger> logger_;
};

// `s` as a JSON string (quoted); bytes outside printable ASCII are escaped, so a line is always
// valid JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s);

}  // namespace corral::observability
