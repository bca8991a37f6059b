// corral-mock: an OpenAI- and Anthropic-compatible provider for tests, demos and benchmarks
// (`corral-mock --help`, docs/anthropic.md).
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "corral/listener.hpp"
#include "mock_server.hpp"

namespace {

const char* kUsage =
    R"(corral-mock — an OpenAI- and Anthropic-compatible provider for tests, demos and benchmarks

Usage: corral-mock --listen HOST:PORT [options]
  --listen HOST:PORT        address to serve (port 0: the system picks one; the chosen address is
                            printed as "corral-mock listening on HOST:PORT")
  --latency-ms N            wait N ms before each answer (default 0)
  --latency-spread-ms N     draw each wait uniformly from latency ± N ms, as real providers vary
  --chunks N                content events of a streamed answer (default 8); each event is made as
                            it is sent, so a long stream holds no more memory than a short one
  --chunk-delay-ms N        pause between streamed events (default 0)
  --completion-tokens N     answer length in tokens (default 16)
  --threads N               I/O threads (default: number of cores)
  --tls-cert FILE --tls-key FILE   serve HTTPS
Serves POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses (OpenAI's wire format;
a chat completion calls a tool when the request has tools and asks for one), POST /v1/messages
(Anthropic's: content blocks, tool use, usage with cache reads, its streaming grammar) and GET /v1/models.
Per-request headers: x-mock-latency-ms, x-mock-latency-spread-ms, x-mock-status, x-mock-chunks, x-mock-chunk-delay-ms,
x-mock-cached-tokens (of the prompt, reported as read from the cache),
x-mock-fault (reset|stall|close-mid-stream|close-before-content|error-event|error-event-mid-stream|
stray-after-answer: 200 ms after the answer, a 408 nobody asked for on the idle connection; junk-after-answer:
the same with bytes that are no answer; 408-on-reuse: the next request on the connection answered with a 408 and
a close), x-mock-completion-tokens,
x-mock-fail-times (the first N requests carrying it get a 500, or x-mock-fail-status), x-mock-retry-after-ms,
x-mock-retry-after (on injected failures). GET /mock/stats: counters (a request whose x-request-id was seen
before counts as a retry); GET /mock/last: the last API request; GET /mock/reset: counters to zero;
GET/POST /mock/config: this instance's injected failures as JSON (fail_status, fail_rate, fault,
retry_after_ms, retry_after), changed while it runs.
Injected failures for every request of this instance (one provider of several failing):
  --fail-status N           answer every request with status N
  --fail-rate R             answer a share R (0 to 1) of requests, drawn at random, with a 500
  --fault F                 play fault F (as x-mock-fault) on every request
  --retry-after-ms N        send retry-after-ms: N (and retry-after in seconds) with injected failures
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace corral;
  mock::Defaults d;
  mock::Faults faults;
  std::string listen = "127.0.0.1:9001", cert, key;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "corral-mock: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    auto num = [&]() -> unsigned {
      auto v = next();
      try {
        return static_cast<unsigned>(std::stoul(v));
      } catch (...) {
        std::cerr << "corral-mock: " << a << " needs a number\n";
        std::exit(2);
      }
    };
    if (a == "--listen") listen = next();
    else if (a == "--latency-ms") d.latency_ms = num();
    else if (a == "--latency-spread-ms") d.latency_spread_ms = num();
    else if (a == "--chunks") d.chunks = num();
    else if (a == "--chunk-delay-ms") d.chunk_delay_ms = num();
    else if (a == "--completion-tokens") d.completion_tokens = num();
    else if (a == "--threads") threads = std::max(1u, num());
    else if (a == "--fail-status") faults.fail_status = num();
    else if (a == "--fail-rate") faults.fail_rate = std::stod(next());
    else if (a == "--fault") faults.fault = next();
    else if (a == "--retry-after-ms") faults.retry_after_ms = num();
    else if (a == "--tls-cert") cert = next();
    else if (a == "--tls-key") key = next();
    else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "corral-mock: unknown argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  error_code ec;
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto addr = asio::ip::make_address(host, ec);
  if (colon == std::string::npos || ec) {
    std::cerr << "corral-mock: --listen needs HOST:PORT with an IP address\n";
    return 2;
  }
  mock::MockServer server(d, faults, threads);
  auto err = server.listen(tcp::endpoint(addr, static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)))),
                           cert, key);
  if (!err.empty()) {
    std::cerr << "corral-mock: " << err << "\n";
    return 1;
  }
  std::cerr << "corral-mock listening on " << to_string(server.local_endpoint()) << std::endl;
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter([&] {
    int sig;
    sigwait(&set, &sig);
    server.stop();
  });
  server.run();
  waiter.detach();
  return 0;
}
