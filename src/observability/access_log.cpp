#include "observability/access_log.hpp"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace corral::observability {
namespace {

void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

void append_field(std::string& out, std::string_view name, std::string_view value_or_null) {
  out.append(",\"").append(name).append("\":");
  if (value_or_null.empty()) out += "null";
  else append_json_string(out, value_or_null);
}

template <class N>
void append_number(std::string& out, std::string_view name, N v) {
  fmt::format_to(std::back_inserter(out), ",\"{}\":{}", name, v);
}

void append_ms(std::string& out, std::string_view name, double seconds) {
  fmt::format_to(std::back_inserter(out), ",\"{}\":{:.3f}", name, seconds * 1000.0);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string AccessLog::format(const RequestRecord& r, std::string_view client_addr) {
  std::string out;
  out.reserve(512);
  out += "{\"time\":";
  append_time(out, r.wall);
  append_field(out, "request_id", r.request_id);
  append_field(out, "tenant", r.tenant);
  append_field(out, "client", client_addr);
  append_field(out, "method", r.method);
  append_field(out, "path", r.path);
  append_field(out, "model", r.model);
  append_field(out, "provider", r.provider);
  append_number(out, "status", r.status);
  append_field(out, "error", r.error == Errc::ok ? std::string_view() : describe(r.error).code);
  out.append(",\"stream\":").append(r.stream ? "true" : "false");
  append_number(out, "bytes_in", r.bytes_in);
  append_number(out, "bytes_out", r.bytes_out);
  append_number(out, "prompt_tokens", r.prompt_tokens);
  append_number(out, "completion_tokens", r.completion_tokens);
  append_number(out, "cached_tokens", r.cached_tokens);
  fmt::format_to(std::back_inserter(out), ",\"cost_usd\":{:.8f}", r.cost_usd);
  append_field(out, "cache", to_string(r.cache));
  append_ms(out, "queue_ms", r.queue_s);
  append_ms(out, "upstream_ms", r.upstream_s);
  append_ms(out, "total_ms", r.total_s);
  append_ms(out, "overhead_ms", r.overhead_s());
  append_number(out, "attempts", r.attempts);
  out.append(",\"retry_reasons\":[").append(r.retry_reasons).append("]");  // statuses and conditions only
  out += '}';
  return out;
}

AccessLog::Pool AccessLog::make_pool() {
  return std::make_shared<spdlog::details::thread_pool>(kQueueLines, 1);
}

std::uint64_t AccessLog::dropped(const Pool& pool) { return pool ? pool->overrun_counter() : 0; }

std::shared_ptr<AccessLog> AccessLog::open(const std::string& target, const Pool& pool, std::string& error) {
  if (target == "off") return nullptr;
  spdlog::sink_ptr sink;
  try {
    if (target == "stderr") sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    else sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(target, /*truncate=*/false);
  } catch (const spdlog::spdlog_ex& e) {
    error = "server.access_log: cannot open " + target + ": " + e.what();
    return nullptr;
  }
  auto logger = std::make_shared<spdlog::async_logger>("access", std::move(sink), pool,
                                                       spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::off);  // flushed once a second (flush()), not per line
  return std::shared_ptr<AccessLog>(new AccessLog(std::move(logger)));
}

void AccessLog::flush() { logger_->flush(); }

void AccessLog::write(const RequestRecord& r, std::string_view client_addr) {
  const auto line = format(r, client_addr);
  logger_->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace corral::observability
