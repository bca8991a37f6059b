// Integration test harness: starts corral-mock and corral as real processes on OS-chosen
// loopback ports, and talks to them through real sockets. Every wait has a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace corral::testing {

namespace http = boost::beast::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A child process with its stderr captured in a file; stopped (SIGTERM, then SIGKILL) on destruction.
class Process {
 public:
  Process(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits for a log line containing `needle`; returns that line.
  std::optional<std::string> wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const;
  std::string log() const;
  // How many log lines contain `needle`.
  std::size_t count_log(const std::string& needle) const;
  // Sends a signal and waits for the exit status (nullopt on timeout).
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

std::string temp_dir();  // a new directory under /tmp, removed when the test program exits
std::uint16_t port_from_log_line(const std::string& line);
// A loopback port nothing listens on (bound, then released).
std::uint16_t closed_port();

struct Mock {
  explicit Mock(std::vector<std::string> extra_args = {});
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
  bool tls = false;  // started with --tls-cert: stats are fetched over TLS
  nlohmann::json stats() const;
  // Failures injected into every request from now on (POST /mock/config): fail_status, fail_rate,
  // fault, retry_after_ms, retry_after.
  void configure(const nlohmann::json& faults) const;
  void reset() const;            // the counters to zero
  std::uint64_t chats() const;   // chat completions received
};

// A real redis-server on a free loopback port, in its own directory, persisting nothing.
class RedisServer {
 public:
  RedisServer();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void start();   // (again) on the same port
  void kill();    // SIGKILL
  void pause();   // SIGSTOP: accepts connections (the kernel does) but never answers
  void resume();  // SIGCONT
  // A command through a blocking connection of the test's own; the reply as text ("(nil)",
  // "(error) …", integers as digits, arrays as lines). Throws when Redis cannot be reached.
  std::string cmd(const std::vector<std::string>& args) const;
  std::vector<std::string> keys(const std::string& pattern) const;

 private:
  std::string dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

struct Corral {
  // `config` is YAML; "@MOCK_PORT@" is replaced by `mock_port`.
  Corral(std::string config, std::uint16_t mock_port);
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;  // when the config has an admin listener
  std::string config_path;
};

// An admin listener block for the config, on an OS-chosen port, with token "admin-secret".
std::string admin_config();

// GET /metrics from the admin listener: every sample line as {"name{labels}": value}.
std::map<std::string, double> scrape(std::uint16_t admin_port, std::string* text = nullptr);

// `config` with every "@MOCK_PORT@" replaced by `mock_port`.
std::string with_mock_port(std::string config, std::uint16_t mock_port);

// A test client key and its config entry.
std::string key_ref(const std::string& key);  // "sha256:<hex>" quoted for YAML

using Response = http::response<http::string_body>;
struct Header {
  std::string name, value;
};

// One request on a new connection; the whole response.
Response request(std::uint16_t port, http::verb method, const std::string& target, const std::string& body = {},
                 const std::vector<Header>& headers = {}, std::chrono::milliseconds timeout = 10s);
Response chat(std::uint16_t port, const std::string& key, const std::string& body,
              const std::vector<Header>& extra = {});

// GET /v1/corral/usage for `key` once `requests` of its requests are settled in the report's
// total. A request is settled as it completes, just after its answer's last byte has left, so a
// report read at once can miss the request answered last; this waits (with a deadline) for it.
nlohmann::json settled_usage(std::uint16_t port, const std::string& key, int requests);

// `n` identical chat requests at once, each on its own connection; the responses in order.
std::vector<Response> concurrent_chats(std::uint16_t port, const std::string& key, const std::string& body, int n,
                                       const std::vector<Header>& extra = {});

// The bytes of a POST /v1/chat/completions with tenant key `key`; `extra` holds whole header
// lines ("x-mock-chunks: 5\r\n").
std::string raw_chat(const std::string& key, const std::string& body, const std::string& extra = {});

// A raw connection for malformed requests, pipelining and streaming.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  // With the socket's receive buffer set to `receive_buffer` bytes before it connects (the window
  // it offers: a client that stops reading holds no more than this).
  RawClient(std::uint16_t port, int receive_buffer);
  void send(const std::string& bytes);
  // Reads until `needle` has arrived (returns everything read so far) or the deadline passes.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout);
  // Reads until the server closes the connection or the deadline passes.
  std::string read_to_close(std::chrono::milliseconds timeout);
  // Reads one complete HTTP response.
  Response read_response(std::chrono::milliseconds timeout = 10s);
  bool closed_by_peer() const { return closed_; }
  // Waits for some bytes (true) or for the peer to close or the deadline to pass (false).
  bool read_some(Clock::time_point deadline);
  void close();
  // Ends the sending side (a half-close): the server reads the end of the stream after what was sent.
  void shutdown_send();

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string pending_;
  bool closed_ = false;
};

// The usage an answer in OpenAI's dialect showed its client: a whole answer's `usage`, or a
// stream's usage chunks (summed); nothing when it showed none.
struct ShownUsage {
  std::int64_t prompt = 0, completion = 0;
};
std::optional<ShownUsage> shown_usage(const std::string& body, bool streamed);

// The access log's lines of chat completions (one JSON object each), once there are at least `n`;
// the test fails if there are fewer at the deadline.
std::vector<nlohmann::json> chat_log_lines(const std::string& log_path, std::size_t n);

// Waits until corral holds nothing (no tenant's request in flight or queued, no provider's) and
// none of `mocks` is answering a request; false, with what is still held in `held`, at the
// deadline.
bool nothing_held(std::uint16_t admin_port, const std::vector<const Mock*>& mocks,
                  std::string* held = nullptr);

// Sends a streamed chat request (`bytes`, as raw_chat makes them) and leaves as soon as the first
// chunk of content has arrived, or at once when the answer is not a 200; the request id corral
// answered with (empty, and the test fails, if no answer came).
std::string leave_after_first_chunk(std::uint16_t port, const std::string& bytes);

// Polls `condition` until true or the deadline; returns its last value.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);  // polling interval of a wait with a deadline
  }
  return condition();
}

// The minimal config every test builds on: one mock provider, two models, tenant "acme"
// with key "sk-acme" and tenant "other" with key "sk-other".
std::string base_config(const std::string& server_extra = {}, const std::string& provider_extra = {},
                        const std::string& tenants_extra = {});

}  // namespace corral::testing
