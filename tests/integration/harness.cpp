#include "integration/harness.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <functional>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "api/sse_parser.hpp"
#include "corral/hash.hpp"

extern char** environ;

namespace corral::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Process::Process(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path)
    : log_path_(log_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("cannot start " + exe);
  posix_spawn_file_actions_destroy(&fa);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0 && !stop(SIGTERM, 10s)) stop(SIGKILL, 5s);
  // In the sanitizer builds the daemons are instrumented too: any report they made during the
  // test (a leak found at exit included) fails it.
  const auto text = log();
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                             "runtime error:"}) {
    if (const auto at = text.find(report); at != std::string::npos)
      ADD_FAILURE() << log_path_ << ": sanitizer report:\n" << text.substr(at > 200 ? at - 200 : 0, 4000);
  }
}

std::optional<int> Process::stop(int sig, std::chrono::milliseconds timeout) {
  if (reaped_) return 0;
  ::kill(pid_, sig);
  int status = 0;
  reaped_ = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
  if (!reaped_) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Process::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t Process::count_log(const std::string& needle) const {
  std::istringstream lines(log());
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line);) n += line.find(needle) != std::string::npos;
  return n;
}

std::optional<std::string> Process::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  std::optional<std::string> found;
  bool exited = false;
  eventually([&] {
    if (!reaped_ && ::kill(pid_, 0) == 0) {
      int status = 0;
      exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (exited) const_cast<Process*>(this)->reaped_ = true;
    }
    // Only whole lines: the last one may still be being written.
    const auto text = log();
    for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
      if (auto line = text.substr(start, end - start); line.find(needle) != std::string::npos) {
        found = std::move(line);
        return true;
      }
    return exited;  // it will not print anything more
  }, timeout);
  return found;
}

std::string temp_dir() {
  return tests::temp_dir("corral-test");
}

std::uint16_t port_from_log_line(const std::string& line) {
  const auto at = line.find("listening on ");
  const auto colon = line.find(':', line.find(']', at) == std::string::npos ? at : line.find(']', at));
  return static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

RedisServer::RedisServer() : dir_(temp_dir()) {
  for (int attempt = 0;; ++attempt) {
    port_ = closed_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 4) throw;  // the released port was taken meanwhile: try another
    }
  }
}

void RedisServer::start() {
  process_.reset();
  process_ = std::make_unique<Process>(
      "/usr/bin/redis-server",
      std::vector<std::string>{"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--dir", dir_, "--daemonize", "no", "--protected-mode", "no"},
      dir_ + "/redis-" + std::to_string(port_) + ".log");
  if (!process_->wait_for_log("Ready to accept connections", 10s))
    throw std::runtime_error("redis-server did not start: " + process_->log());
}

void RedisServer::kill() {
  if (process_) process_->stop(SIGKILL, 5s);
}

// SIGSTOP is delivered asynchronously: wait until the server has really stopped.
void RedisServer::pause() {
  ::kill(process_->pid(), SIGSTOP);
  int status = 0;
  if (!eventually([&] { return ::waitpid(process_->pid(), &status, WUNTRACED | WNOHANG) == process_->pid() &&
                               WIFSTOPPED(status); }))
    throw std::runtime_error("redis-server did not stop");
}
void RedisServer::resume() { ::kill(process_->pid(), SIGCONT); }

std::string RedisServer::cmd(const std::vector<std::string>& args) const {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeval{2, 0});
  if (!c || c->err) {
    if (c) redisFree(c);
    throw std::runtime_error("cannot reach redis-server");
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  std::string out;
  std::function<void(const redisReply*)> text = [&](const redisReply* x) {
    switch (x->type) {
      case REDIS_REPLY_NIL: out += "(nil)"; break;
      case REDIS_REPLY_INTEGER: out += std::to_string(x->integer); break;
      case REDIS_REPLY_ERROR: out += "(error) " + std::string(x->str, x->len); break;
      case REDIS_REPLY_ARRAY:
        for (std::size_t i = 0; i < x->elements; ++i) {
          if (i) out += "\n";
          text(x->element[i]);
        }
        break;
      default: out += std::string(x->str, x->len);
    }
  };
  if (r) text(r);
  if (r) freeReplyObject(r);
  redisFree(c);
  if (!r) throw std::runtime_error("redis-server did not answer");
  return out;
}

std::vector<std::string> RedisServer::keys(const std::string& pattern) const {
  std::vector<std::string> out;
  std::istringstream in(cmd({"KEYS", pattern}));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

Mock::Mock(std::vector<std::string> extra) {
  const auto dir = temp_dir();
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--threads", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  tls = std::find(extra.begin(), extra.end(), "--tls-cert") != extra.end();
  process = std::make_unique<Process>(CORRAL_MOCK_BIN, args, dir + "/mock.log");
  auto line = process->wait_for_log("listening on", 10s);
  if (!line) throw std::runtime_error("corral-mock did not start: " + process->log());
  port = port_from_log_line(*line);
}

std::string admin_config() {
  return "admin:\n  listen: \"127.0.0.1:0\"\n  token: " + key_ref("admin-secret") + "\n";
}

std::map<std::string, double> scrape(std::uint16_t admin_port, std::string* text) {
  const auto res = request(admin_port, http::verb::get, "/metrics");
  if (res.result_int() != 200) throw std::runtime_error("GET /metrics: " + std::to_string(res.result_int()));
  if (text) *text = res.body();
  std::map<std::string, double> out;
  std::istringstream in(res.body());
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

nlohmann::json Mock::stats() const {
  if (!tls) return nlohmann::json::parse(request(port, http::verb::get, "/mock/stats").body());
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> s(io, ctx);
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  s.handshake(asio::ssl::stream_base::client);
  http::request<http::empty_body> req{http::verb::get, "/mock/stats", 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(s, req);
  boost::beast::flat_buffer buf;
  Response res;
  http::read(s, buf, res);
  return nlohmann::json::parse(res.body());
}

void Mock::configure(const nlohmann::json& faults) const {
  const auto res = request(port, http::verb::post, "/mock/config", faults.dump(), {{"content-type", "application/json"}});
  if (res.result_int() != 200) throw std::runtime_error("POST /mock/config: " + res.body());
}

void Mock::reset() const {
  if (request(port, http::verb::get, "/mock/reset").result_int() != 200) throw std::runtime_error("GET /mock/reset");
}

std::uint64_t Mock::chats() const {
  return stats()["by_path"].value("/v1/chat/completions", std::uint64_t{0});
}

std::string with_mock_port(std::string config, std::uint16_t mock_port) {
  for (std::size_t at; (at = config.find("@MOCK_PORT@")) != std::string::npos;)
    config.replace(at, 11, std::to_string(mock_port));
  return config;
}

Corral::Corral(std::string config, std::uint16_t mock_port) {
  const auto dir = temp_dir();
  config = with_mock_port(std::move(config), mock_port);
  // Usage is kept in a state file of the test's own, unless the test names one.
  if (config.find("\nstate:") == std::string::npos && !config.starts_with("state:"))
    config += "state:\n  path: \"" + dir + "/state.db\"\n";
  config_path = dir + "/corral.yaml";
  std::ofstream(config_path) << config;
  process = std::make_unique<Process>(CORRAL_BIN, std::vector<std::string>{"--config", config_path, "--log-level", "debug"},
                                      dir + "/corral.log");
  auto line = process->wait_for_log("listening on", 10s);
  if (!line) throw std::runtime_error("corral did not start: " + process->log());
  port = port_from_log_line(*line);
  if (config.find("\nadmin:") != std::string::npos || config.starts_with("admin:")) {
    auto admin = process->wait_for_log("admin listening on", 10s);
    if (!admin) throw std::runtime_error("corral's admin listener did not start: " + process->log());
    admin_port = port_from_log_line(*admin);
  }
}

std::string key_ref(const std::string& key) { return "\"sha256:" + to_hex(sha256(key)) + "\""; }

std::string base_config(const std::string& server_extra, const std::string& provider_extra,
                        const std::string& tenants_extra) {
  return "server:\n  listen: \"127.0.0.1:0\"\n  threads: 2\n" + server_extra +
         "providers:\n  mock:\n    base_url: \"http://127.0.0.1:@MOCK_PORT@/v1\"\n    api_key: \"provider-secret\"\n" +
         provider_extra +
         "models:\n  gpt-4.1:\n    routes: [{provider: mock}]\n"
         "  small:\n    routes: [{provider: mock, model: text-embedding-3-small}]\n"
         "  tiny:\n    routes: [{provider: mock}]\n    context_window: 100\n"
         "tenants:\n  acme:\n    api_keys: [" + key_ref("sk-acme") + "]\n"
         "  other:\n    api_keys: [" + key_ref("sk-other") + "]\n    models: [gpt-4.1]\n" + tenants_extra;
}

Response request(std::uint16_t port, http::verb method, const std::string& target, const std::string& body,
                 const std::vector<Header>& headers, std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& h : headers) req.set(h.name, h.value);
  if (!body.empty() || method == http::verb::post) {
    req.body() = body;
    req.prepare_payload();
  }
  RawClient c(port);
  std::ostringstream out;
  out << req;
  c.send(out.str());
  return c.read_response(timeout);
}

Response chat(std::uint16_t port, const std::string& key, const std::string& body, const std::vector<Header>& extra) {
  std::vector<Header> h = {{"authorization", "Bearer " + key}, {"content-type", "application/json"}};
  h.insert(h.end(), extra.begin(), extra.end());
  return request(port, http::verb::post, "/v1/chat/completions", body, h);
}

std::optional<ShownUsage> shown_usage(const std::string& body, bool streamed) {
  std::optional<ShownUsage> shown;
  const auto take = [&](const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("usage") || !j["usage"].is_object()) return;
    if (!shown) shown.emplace();
    shown->prompt += j["usage"].value("prompt_tokens", std::int64_t{0});
    shown->completion += j["usage"].value("completion_tokens", std::int64_t{0});
  };
  if (!streamed) {
    take(nlohmann::json::parse(body, nullptr, false));
    return shown;
  }
  api::SseParser sse;
  sse.feed(body, [&](const api::SseEvent& e) {
    if (e.data != "[DONE]") take(nlohmann::json::parse(e.data, nullptr, false));
  });
  return shown;
}

std::string leave_after_first_chunk(std::uint16_t port, const std::string& bytes) {
  RawClient raw(port);
  raw.send(bytes);
  auto got = raw.read_until("\r\n\r\n", 10s);
  if (got.starts_with("HTTP/1.1 200")) got = raw.read_until("chat.completion.chunk", 10s);
  raw.close();
  const auto at = got.find("x-request-id: ");
  EXPECT_NE(at, std::string::npos) << got;
  if (at == std::string::npos) return {};
  return got.substr(at + 14, got.find("\r\n", at) - at - 14);
}

std::vector<nlohmann::json> chat_log_lines(const std::string& log_path, std::size_t n) {
  std::vector<nlohmann::json> lines;
  EXPECT_TRUE(eventually(
      [&] {
        lines.clear();
        std::ifstream in(log_path);
        for (std::string l; std::getline(in, l);) {
          auto j = nlohmann::json::parse(l, nullptr, false);
          if (j.is_object() && j["path"] == "/v1/chat/completions") lines.push_back(std::move(j));
        }
        return lines.size() >= n;
      },
      10s))
      << lines.size() << " of " << n << " lines in " << log_path;
  return lines;
}

bool nothing_held(std::uint16_t admin_port, const std::vector<const Mock*>& mocks,
                  std::string* held) {
  const auto admin = [&](const std::string& path) {
    return nlohmann::json::parse(
        request(admin_port, http::verb::get, path, {}, {{"authorization", "Bearer admin-secret"}})
            .body());
  };
  nlohmann::json tenants, providers;
  const bool idle = eventually([&] {
    tenants = admin("/admin/tenants")["data"];
    providers = admin("/admin/providers")["providers"];
    bool none = true;
    for (const auto* m : mocks) none = none && m->stats()["in_flight"] == 0;
    for (const auto& t : tenants) none = none && t["in_flight"] == 0 && t["queued"] == 0;
    for (const auto& p : providers) none = none && p["in_flight"] == 0 && p["queued"] == 0;
    return none;
  });
  if (!idle && held) *held = "tenants " + tenants.dump() + ", providers " + providers.dump();
  return idle;
}

nlohmann::json settled_usage(std::uint16_t port, const std::string& key, int requests) {
  nlohmann::json report;
  const bool settled = eventually([&] {
    report = nlohmann::json::parse(
        request(port, http::verb::get, "/v1/corral/usage", {}, {{"authorization", "Bearer " + key}}).body());
    return report["usage"]["total"]["requests"] == requests;
  });
  EXPECT_TRUE(settled) << "expected " << requests << " settled requests: " << report.dump();
  return report;
}

namespace {

boost::asio::awaitable<void> one_chat(std::uint16_t port, const http::request<http::string_body>& req, Response& out) {
  auto ex = co_await boost::asio::this_coro::executor;
  tcp::socket s(ex);
  auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
  auto [cec] = co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), token);
  if (cec) co_return;
  auto [wec, wn] = co_await http::async_write(s, req, token);
  if (wec) co_return;
  boost::beast::flat_buffer buf;
  auto [rec, rn] = co_await http::async_read(s, buf, out, token);
  (void)rec;
}

}  // namespace

std::vector<Response> concurrent_chats(std::uint16_t port, const std::string& key, const std::string& body, int n,
                                       const std::vector<Header>& extra) {
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + key);
  req.set(http::field::content_type, "application/json");
  for (const auto& h : extra) req.set(h.name, h.value);
  req.body() = body;
  req.prepare_payload();
  std::vector<Response> out(static_cast<std::size_t>(n));
  boost::asio::io_context io;
  for (auto& r : out) boost::asio::co_spawn(io, one_chat(port, req, r), boost::asio::detached);
  io.run_for(60s);
  return out;
}

std::string raw_chat(const std::string& key, const std::string& body, const std::string& extra) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

RawClient::RawClient(std::uint16_t port) : socket_(io_) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  socket_.set_option(tcp::no_delay(true));
}

RawClient::RawClient(std::uint16_t port, int receive_buffer) : socket_(io_) {
  socket_.open(tcp::v4());
  socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  socket_.set_option(tcp::no_delay(true));
}

void RawClient::send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

bool RawClient::read_some(Clock::time_point deadline) {
  char buf[16384];
  socket_.non_blocking(true);
  while (!closed_) {
    boost::system::error_code ec;
    const auto n = socket_.read_some(asio::buffer(buf), ec);
    if (!ec) {
      pending_.append(buf, n);
      return true;
    }
    if (ec != asio::error::would_block) {
      closed_ = true;
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long>(left, 100)));
  }
  return false;
}

std::string RawClient::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto found = [&] { return !needle.empty() && pending_.find(needle) != std::string::npos; };
  while (!found() && !closed_ && Clock::now() < deadline) read_some(deadline);
  return pending_;
}

std::string RawClient::read_to_close(std::chrono::milliseconds timeout) {
  return read_until({}, timeout);  // no needle: until the peer closes
}

Response RawClient::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    http::response_parser<http::string_body> p;
    p.eager(true);
    p.body_limit(64 << 20);
    boost::system::error_code ec;
    std::size_t used = p.put(asio::buffer(pending_), ec);
    while (!ec && used < pending_.size() && !p.is_done()) {
      used += p.put(asio::buffer(pending_.data() + used, pending_.size() - used), ec);
      if (used == 0) break;
    }
    if (closed_ && !p.is_done() && p.is_header_done()) {
      p.put_eof(ec);
      if (!ec && p.is_done()) used = pending_.size();
    }
    if (p.is_done()) {
      pending_.erase(0, used);
      return p.release();
    }
    if (ec && ec != http::error::need_more) throw std::runtime_error("bad response: " + ec.message() + ": " + pending_);
    if (closed_ || Clock::now() >= deadline)
      throw std::runtime_error("no complete response (closed=" + std::to_string(closed_) + "): " + pending_);
    read_some(deadline);
  }
}

void RawClient::close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

void RawClient::shutdown_send() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace corral::testing
