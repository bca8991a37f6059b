// corral-mock's server: one io_context and acceptor (SO_REUSEPORT) per thread, keep-alive,
// per-request behaviour from x-mock-* headers, and counters of what reached it (/mock/stats).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "corral/asio.hpp"

namespace corral::mock {

// Failures an instance injects into every API request, whatever the request asks for (one
// provider of several failing); set at start or changed while running (POST /mock/config).
struct Faults {
  unsigned fail_status = 0;     // answer every request with this status (0: none)
  double fail_rate = 0;         // answer this share of requests with a 500
  std::string fault;            // reset, stall, close-mid-stream, close-before-content, error-event,
                                //   error-event-mid-stream
  unsigned retry_after_ms = 0;  // retry-after-ms (and retry-after, rounded up) on injected failures
  unsigned retry_after_s = 0;   // retry-after in seconds instead
  std::string to_json() const;
  // Applies the members present in `json` (an object); an error message when it is not one.
  std::string update(std::string_view json);
};

struct Defaults {
  unsigned latency_ms = 0;
  unsigned latency_spread_ms = 0;  // latency drawn uniformly from latency ± spread
  unsigned chunks = 8;
  unsigned chunk_delay_ms = 0;
  unsigned completion_tokens = 16;
};

// What the mock received, for tests to assert on. Kept at a cost per request that does not grow
// with what a request carries beyond the counted headers: the mock shares a core with the load in
// bench/compare, where bookkeeping per header or per request id (a JSON document of the last
// request made each time, a string kept for each id) was paid by whichever proxy sends more
// headers, on top of what the proxy itself costs.
class Stats {
 public:
  void record(const http::request<http::string_body>& req, const std::string& model);
  void connection() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void stray_answer() { stray_answers_.fetch_add(1, std::memory_order_relaxed); }
  void stream_finished(bool completed);
  void stream_started() { active_streams_.fetch_add(1); }
  // An API request begins and ends (for the most requests ever in flight at once). A request
  // whose x-request-id was seen before is a retry (a gateway's next attempt); returns whether it is.
  bool begin(std::string_view request_id);
  void end(bool retry);
  std::string to_json() const;
  // The last API request as it arrived: method, target, header lines in order, body.
  std::string last_json() const;
  void reset();

 private:
  using Counts = std::map<std::string, std::uint64_t, std::less<>>;
  static void count(Counts& c, std::string_view key);

  mutable std::mutex mu_;
  Counts by_path_, by_authorization_, by_model_, headers_seen_;
  std::uint64_t requests_ = 0;
  // The last API request, as received; made into JSON when asked for (strings reused, so that
  // keeping it allocates nothing once they have grown).
  bool have_last_ = false;
  std::string last_method_, last_target_, last_body_;
  std::vector<std::pair<std::string, std::string>> last_headers_;
  std::size_t last_header_count_ = 0;
  std::string lower_;  // a header's name in lower case, while it is counted
  std::atomic<std::uint64_t> connections_{0}, streams_completed_{0}, streams_aborted_{0},
      stray_answers_{0};
  std::atomic<std::int64_t> active_streams_{0};
  std::atomic<std::int64_t> in_flight_{0}, max_in_flight_{0};
  std::atomic<std::int64_t> retries_in_flight_{0}, max_retries_in_flight_{0};
  std::uint64_t retries_ = 0;               // guarded by mu_
  // The request ids seen, by a 64-bit hash of each (a false "seen before" among a million ids has
  // a probability of about 3e-8); guarded by mu_; bounded (cleared when full).
  boost::unordered_flat_set<std::uint64_t> seen_ids_;
};

class MockServer {
 public:
  MockServer(Defaults defaults, Faults faults, unsigned threads);
  ~MockServer();
  // Binds; returns an error message on failure. With a certificate and key, speaks HTTPS.
  std::string listen(const tcp::endpoint& at, const std::string& cert_file = {},
                     const std::string& key_file = {});
  tcp::endpoint local_endpoint() const { return endpoint_; }
  void run();  // blocks until stop()
  void stop();

 private:
  struct Thread {
    asio::io_context io{1};
    std::unique_ptr<tcp::acceptor> acceptor;
  };
  awaitable<void> accept_loop(Thread& t);

  Defaults defaults_;
  Stats stats_;
  std::mutex faults_mu_;
  Faults faults_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<std::thread> running_;
  std::shared_ptr<ssl::context> tls_;
  tcp::endpoint endpoint_;
};

}  // namespace corral::mock
