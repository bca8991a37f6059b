#include "mock_server.hpp"

#include "anthropic_bodies.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "corral/any_stream.hpp"
#include "corral/listener.hpp"
#include "openai_bodies.hpp"

namespace corral::mock {
namespace {

using json = nlohmann::json;
using Request = http::request<http::string_body>;
const std::vector<std::string> kModels = {"gpt-4.1", "text-embedding-3-small"};

unsigned header_uint(const Request& req, std::string_view name, unsigned fallback) {
  auto it = req.find(name);
  if (it == req.end()) return fallback;
  unsigned v = 0;
  auto s = it->value();
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : fallback;
}

std::string_view header(const Request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

std::atomic<unsigned> fail_times_seen{0};

// A latency of `ms` ± `spread` drawn uniformly (a per-thread generator: no lock).
unsigned spread_latency(unsigned ms, unsigned spread) {
  if (spread == 0) return ms;
  thread_local std::minstd_rand gen{std::random_device{}()};
  const unsigned lo = ms > spread ? ms - spread : 0;
  return std::uniform_int_distribution<unsigned>(lo, ms + spread)(gen);
}

awaitable<void> pause(unsigned ms) {
  if (ms == 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(use_nothrow);
}

awaitable<bool> write_whole(AnyStream& s, unsigned status, std::string body, bool keep_alive,
                            const char* type = "application/json") {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, type);
  res.set("x-request-id", "mock-" + new_id(""));
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(s, res, use_nothrow);
  co_return !ec;
}

awaitable<void> read_until_closed(AnyStream& s) {
  std::string sink(256, '\0');
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), use_nothrow);
    if (ec) co_return;
  }
}

// Counts an API request in flight until the last bytes of its answer are handed to the socket
// (finish()), or until it ends otherwise. Not after the write: by then the client may have read
// the answer and sent its next request, which would be counted with this one.
struct InFlight {
  InFlight(Stats& s, std::string_view request_id) : stats(s), retry(s.begin(request_id)) {}
  ~InFlight() { finish(); }
  void finish() {
    if (done) return;
    done = true;
    stats.end(retry);
  }
  Stats& stats;
  bool retry;
  bool done = false;
};

void raise_to(std::atomic<std::int64_t>& max, std::int64_t n) {
  for (auto m = max.load(); n > m && !max.compare_exchange_weak(m, n);) {
  }
}

awaitable<bool> write_failure(AnyStream& s, unsigned status, const Faults& f, const Request& req,
                              std::string_view message = "mock: injected error") {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  const unsigned ms = header_uint(req, "x-mock-retry-after-ms", f.retry_after_ms);
  const unsigned secs = header_uint(req, "x-mock-retry-after", f.retry_after_s);
  if (ms > 0) {
    res.set("retry-after-ms", std::to_string(ms));
    res.set(http::field::retry_after, std::to_string((ms + 999) / 1000));
  } else if (secs > 0) {
    res.set(http::field::retry_after, std::to_string(secs));
  }
  res.keep_alive(req.keep_alive());
  // In the dialect of the path asked: Anthropic's on /v1/messages.
  res.body() = req.target().starts_with("/v1/messages") ? anthropic_error(status, message) : error_answer(status, message);
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(s, res, use_nothrow);
  co_return !ec;
}

bool draw(double rate) {
  if (rate <= 0) return false;
  thread_local std::minstd_rand gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(gen) < rate;
}

struct Session {
  AnyStream stream;
  const Defaults& defaults;
  Stats& stats;
  std::mutex& faults_mu;
  Faults& faults_live;
  // What the answer given asked for on its connection after it: bytes sent unasked while it is
  // idle (a 408, as servers answer an idle timeout, or bytes that are no answer at all), or the
  // next request on it answered with a 408 and a close (an idle timeout that fired as it came).
  enum class After { nothing, stray_408, stray_junk, timeout_on_reuse };
  After after = After::nothing;

  // Returns false when the connection must end.
  awaitable<bool> answer(Request& req) {
    const std::string path(req.target().substr(0, req.target().find('?')));
    json body = json::object();
    if (req.method() == http::verb::post) {
      body = json::parse(req.body(), nullptr, false);
      if (body.is_discarded() || !body.is_object())
        co_return co_await write_whole(stream, 400, error_answer(400, "mock: invalid JSON body"), req.keep_alive());
    }
    stats.record(req, body.value("model", std::string()));
    if (path == "/mock/stats") co_return co_await write_whole(stream, 200, stats.to_json(), req.keep_alive());
    if (path == "/mock/config") {
      std::lock_guard lock(faults_mu);
      if (req.method() == http::verb::post) {
        if (auto err = faults_live.update(req.body()); !err.empty())
          co_return co_await write_whole(stream, 400, error_answer(400, err), req.keep_alive());
      }
      co_return co_await write_whole(stream, 200, faults_live.to_json(), req.keep_alive());
    }
    Faults injected;
    {
      std::lock_guard lock(faults_mu);
      injected = faults_live;
    }
    if (path == "/mock/last") co_return co_await write_whole(stream, 200, stats.last_json(), req.keep_alive());
    if (path == "/mock/reset") {
      stats.reset();
      co_return co_await write_whole(stream, 200, std::string("{}"), req.keep_alive());
    }
    InFlight counted(stats, header(req, "x-request-id"));

    const std::string fault(header(req, "x-mock-fault").empty() ? std::string_view(injected.fault)
                                                                 : header(req, "x-mock-fault"));
    after = fault == "stray-after-answer"  ? After::stray_408
            : fault == "junk-after-answer" ? After::stray_junk
            : fault == "408-on-reuse"      ? After::timeout_on_reuse
                                           : After::nothing;
    if (fault == "stall") {  // never answer: wait until the client gives up
      co_await read_until_closed(stream);
      co_return false;
    }
    co_await pause(spread_latency(header_uint(req, "x-mock-latency-ms", defaults.latency_ms),
                                  header_uint(req, "x-mock-latency-spread-ms", defaults.latency_spread_ms)));
    if (fault == "reset") {
      error_code ignored;
      stream.socket().set_option(asio::socket_base::linger(true, 0), ignored);
      stream.socket().close(ignored);
      co_return false;
    }
    // x-mock-fail-times: N — the first N requests carrying it (since start) get a 500, or the
    // status of x-mock-fail-status.
    if (auto n = header_uint(req, "x-mock-fail-times", 0); n > 0 && fail_times_seen.fetch_add(1) < n) {
      counted.finish();
      co_return co_await write_failure(stream, header_uint(req, "x-mock-fail-status", 500), injected, req,
                                       "mock: injected failure");
    }
    if (auto status = header_uint(req, "x-mock-status", injected.fail_status); status >= 400 && status <= 599) {
      counted.finish();
      co_return co_await write_failure(stream, status, injected, req);
    }
    if (draw(injected.fail_rate)) {
      counted.finish();
      co_return co_await write_failure(stream, 500, injected, req);
    }

    if (path == "/v1/models" && req.method() == http::verb::get) {
      std::string list = models_answer(kModels);
      counted.finish();
      co_return co_await write_whole(stream, 200, std::move(list), req.keep_alive());
    }
    Api api;
    if (path == "/v1/chat/completions") api = Api::chat;
    else if (path == "/v1/completions") api = Api::completions;
    else if (path == "/v1/embeddings") api = Api::embeddings;
    else if (path == "/v1/responses") api = Api::responses;
    else if (path == "/v1/messages") api = Api::messages;
    else {
      counted.finish();
      co_return co_await write_whole(stream, 404, error_answer(404, "mock: unknown path " + path), req.keep_alive());
    }
    if (req.method() != http::verb::post) {
      counted.finish();
      co_return co_await write_whole(stream, 405, error_answer(405, "mock: method not allowed"), req.keep_alive());
    }

    Shape shape;
    shape.prompt_tokens = count_prompt_tokens(api, body);
    shape.completion_tokens =
        capped_completion_tokens(body, header_uint(req, "x-mock-completion-tokens", defaults.completion_tokens));
    shape.chunks = std::max(1u, header_uint(req, "x-mock-chunks", defaults.chunks));
    shape.cached_tokens = header_uint(req, "x-mock-cached-tokens", 0);
    if (auto so = body.find("stream_options"); so != body.end() && so->is_object())
      shape.include_usage = so->value("include_usage", false);
    const bool streamed = body.value("stream", false) && api != Api::embeddings;
    if (!streamed) {
      auto answer = whole_answer(api, body, shape);
      counted.finish();
      co_return co_await write_whole(stream, 200, std::move(answer), req.keep_alive());
    }

    const unsigned delay = header_uint(req, "x-mock-chunk-delay-ms", defaults.chunk_delay_ms);
    const auto events = stream_events(api, body, shape);
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stats.stream_started();
    auto [hec, hn] = co_await http::async_write_header(stream, sr, use_nothrow);
    bool ok = !hec;
    // Events go out on a fixed cadence (start + i x delay), so a late wake-up does not push
    // every later event back.
    asio::steady_timer cadence(co_await asio::this_coro::executor);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; ok && i < events.size(); ++i) {
      if (i > 0 && delay > 0) {
        cadence.expires_at(start + std::chrono::milliseconds(delay) * i);
        co_await cadence.async_wait(use_nothrow);
      }
      if ((fault == "close-mid-stream" && i == events.size() / 2) || (fault == "close-before-content" && i == 1)) {
        stream.close();
        stats.stream_finished(false);
        co_return false;
      }
      // An error event after the first event (before any content), or halfway (after some), then the end.
      if ((fault == "error-event" && i == 1) || (fault == "error-event-mid-stream" && i == events.size() / 2)) {
        static constexpr std::string_view kAnthropic =
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"Overloaded\"}}\n\n";
        static constexpr std::string_view kOpenAI =
            "data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\",\"code\":null}}\n\n";
        const auto error = api == Api::messages ? kAnthropic : kOpenAI;
        auto [eec, en] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(error)), use_nothrow);
        ok = !eec;
        break;
      }
      const auto event = events.event(i);
      auto [ec, n] =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(event)), use_nothrow);
      ok = !ec;
    }
    if (ok) {
      counted.finish();
      auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), use_nothrow);
      ok = !ec;
    }
    stats.stream_finished(ok);
    co_return ok && req.keep_alive();
  }

  awaitable<void> run() {
    if (auto* tls = stream.tls()) {
      auto [ec] = co_await tls->async_handshake(ssl::stream_base::server, use_nothrow);
      if (ec) co_return;
    }
    beast::flat_buffer buffer;
    buffer.reserve(16 * 1024);  // a request in one read, not one per 512 bytes (Beast reads the spare capacity)
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
      if (ec) break;
      static constexpr std::string_view k408 =
          "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n";
      static constexpr std::string_view k408Close =
          "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
      if (std::exchange(after, After::nothing) ==
          After::timeout_on_reuse) {  // this request is not answered
        co_await asio::async_write(stream, asio::buffer(k408Close), use_nothrow);
        stats.stray_answer();
        break;
      }
      auto req = parser.release();
      if (!co_await answer(req)) break;
      if (after == After::stray_408 || after == After::stray_junk) {
        co_await pause(200);
        const auto stray = after == After::stray_408 ? k408 : std::string_view("junk\r\n");
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(stray), use_nothrow);
        if (wec) break;
        stats.stray_answer();
      }
    }
    stream.close();
  }
};

}  // namespace

void Stats::count(Counts& c, std::string_view key) {
  if (auto it = c.find(key); it != c.end()) ++it->second;
  else c.emplace(key, 1);
}

void Stats::record(const Request& req, const std::string& model) {
  std::lock_guard lock(mu_);
  if (!req.target().starts_with("/mock/")) {
    have_last_ = true;
    last_method_.assign(req.method_string());
    last_target_.assign(req.target());
    last_body_.assign(req.body());
    last_header_count_ = 0;
    for (const auto& f : req) {
      if (last_header_count_ == last_headers_.size()) last_headers_.emplace_back();
      auto& [name, value] = last_headers_[last_header_count_++];
      name.assign(f.name_string());
      value.assign(f.value());
    }
  }
  ++requests_;
  const auto target = std::string_view(req.target());
  count(by_path_, target.substr(0, target.find('?')));
  auto auth = req.find(http::field::authorization);
  count(by_authorization_, auth == req.end() ? std::string_view() : std::string_view(auth->value()));
  if (!model.empty()) count(by_model_, model);
  for (const auto& f : req) {
    const auto name = f.name_string();
    lower_.resize(name.size());
    std::transform(name.begin(), name.end(), lower_.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    count(headers_seen_, lower_);
  }
}

std::string Stats::last_json() const {
  std::lock_guard lock(mu_);
  if (!have_last_) return "{}";
  json head = json::array();
  for (std::size_t i = 0; i < last_header_count_; ++i) head.push_back({last_headers_[i].first, last_headers_[i].second});
  return json{{"method", last_method_}, {"target", last_target_}, {"headers", std::move(head)}, {"body", last_body_}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Stats::begin(std::string_view request_id) {
  bool retry = false;
  if (!request_id.empty()) {
    std::lock_guard lock(mu_);
    if (seen_ids_.size() >= 1'000'000) seen_ids_.clear();
    retry = !seen_ids_.insert(std::hash<std::string_view>{}(request_id)).second;
    retries_ += retry ? 1 : 0;
  }
  raise_to(max_in_flight_, in_flight_.fetch_add(1) + 1);
  if (retry) raise_to(max_retries_in_flight_, retries_in_flight_.fetch_add(1) + 1);
  return retry;
}

void Stats::end(bool retry) {
  in_flight_.fetch_sub(1);
  if (retry) retries_in_flight_.fetch_sub(1);
}

void Stats::stream_finished(bool completed) {
  (completed ? streams_completed_ : streams_aborted_).fetch_add(1);
  active_streams_.fetch_sub(1);
}

std::string Stats::to_json() const {
  std::lock_guard lock(mu_);
  return json{{"requests", requests_},
              {"connections", connections_.load()},
              {"by_path", by_path_},
              {"by_authorization", by_authorization_},
              {"by_model", by_model_},
              {"headers_seen", headers_seen_},
              {"streams_completed", streams_completed_.load()},
              {"streams_aborted", streams_aborted_.load()},
              {"stray_answers", stray_answers_.load()},
              {"active_streams", active_streams_.load()},
              {"in_flight", in_flight_.load()},
              {"max_in_flight", max_in_flight_.load()},
              {"retries", retries_},
              {"retries_in_flight", retries_in_flight_.load()},
              {"max_retries_in_flight", max_retries_in_flight_.load()}}
      .dump();
}

void Stats::reset() {
  std::lock_guard lock(mu_);
  by_path_.clear();
  by_authorization_.clear();
  by_model_.clear();
  headers_seen_.clear();
  requests_ = 0;
  connections_ = streams_completed_ = streams_aborted_ = stray_answers_ = 0;
  max_in_flight_ = in_flight_.load();
  max_retries_in_flight_ = retries_in_flight_.load();
  retries_ = 0;
  seen_ids_.clear();
}

std::string Faults::to_json() const {
  return json{{"fail_status", fail_status}, {"fail_rate", fail_rate}, {"fault", fault},
              {"retry_after_ms", retry_after_ms}, {"retry_after", retry_after_s}}
      .dump();
}

std::string Faults::update(std::string_view text) {
  const auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return "mock: /mock/config takes a JSON object";
  if (auto it = j.find("fail_status"); it != j.end() && it->is_number_unsigned()) fail_status = it->get<unsigned>();
  if (auto it = j.find("fail_rate"); it != j.end() && it->is_number()) fail_rate = it->get<double>();
  if (auto it = j.find("fault"); it != j.end() && it->is_string()) fault = it->get<std::string>();
  if (auto it = j.find("retry_after_ms"); it != j.end() && it->is_number_unsigned()) retry_after_ms = it->get<unsigned>();
  if (auto it = j.find("retry_after"); it != j.end() && it->is_number_unsigned()) retry_after_s = it->get<unsigned>();
  return {};
}

MockServer::MockServer(Defaults defaults, Faults faults, unsigned threads)
    : defaults_(defaults), faults_(std::move(faults)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.push_back(std::make_unique<Thread>());
}

MockServer::~MockServer() {
  stop();
  for (auto& t : running_)
    if (t.joinable()) t.join();
}

std::string MockServer::listen(const tcp::endpoint& at, const std::string& cert, const std::string& key) {
  if (!cert.empty()) {
    tls_ = std::make_shared<ssl::context>(ssl::context::tls_server);
    error_code ec;
    tls_->use_certificate_chain_file(cert, ec);
    if (ec) return "certificate: " + ec.message();
    tls_->use_private_key_file(key, ssl::context::pem, ec);
    if (ec) return "key: " + ec.message();
  }
  tcp::endpoint bind_at = at;
  for (auto& t : threads_) {
    error_code ec;
    auto acceptor = open_listener(t->io, bind_at, ec);
    if (ec) return "cannot listen on " + to_string(bind_at) + ": " + ec.message();
    bind_at = endpoint_ = acceptor.local_endpoint();
    t->acceptor = std::make_unique<tcp::acceptor>(std::move(acceptor));
  }
  return {};
}

awaitable<void> MockServer::accept_loop(Thread& t) {
  for (;;) {
    auto [ec, socket] = co_await t.acceptor->async_accept(use_nothrow);
    if (ec) {
      if (!t.acceptor->is_open()) co_return;
      continue;
    }
    stats_.connection();
    socket.set_option(tcp::no_delay(true), ec);
    auto stream = tls_ ? AnyStream(std::move(socket), *tls_) : AnyStream(std::move(socket));
    asio::co_spawn(
        t.io,
        [s = Session{std::move(stream), defaults_, stats_, faults_mu_, faults_}]() mutable -> awaitable<void> {
          co_await s.run();
        },
        asio::detached);
  }
}

void MockServer::run() {
  for (auto& t : threads_) {
    asio::co_spawn(t->io, accept_loop(*t), asio::detached);
    running_.emplace_back([&io = t->io] { io.run(); });
  }
  for (auto& t : running_) t.join();
}

void MockServer::stop() {
  for (auto& t : threads_) t->io.stop();
}

}  // namespace corral::mock
