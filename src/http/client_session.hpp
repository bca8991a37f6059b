// One client connection, downstream HTTP only: it reads each request strictly (limits, timeouts,
// framing), finds its route and tenant, reads its body, runs the chain of stages (proxy/chain.hpp)
// and writes what corral answers itself; relayed answers go out through the ClientWriter the
// stages write into. Requests on a connection are served one after another, so pipelined requests
// are answered in order. Lifetime: the session is held by its own coroutine (shared_from_this).
#pragma once

#include <memory>
#include <string>

#include "corral/any_stream.hpp"
#include "corral/watchdog.hpp"
#include "http/client_writer.hpp"
#include "http/disconnect_watch.hpp"
#include "http/request_parser.hpp"
#include "http/responses.hpp"
#include "observability/request_record.hpp"
#include "proxy/chain.hpp"
#include "proxy/exchange.hpp"
#include "tenancy/tenant_resolver.hpp"
#include "worker.hpp"

namespace corral::http_server {

class ClientSession final : public std::enable_shared_from_this<ClientSession>, public Drainable {
 public:
  ClientSession(Worker& worker, proxy::Chain& chain, AnyStream stream, tcp::endpoint peer);
  ~ClientSession();

  void start();
  void on_drain() override;

 private:
  using After = proxy::After;

  awaitable<void> run();
  awaitable<bool> wait_for_request(const Config& cfg, bool first);
  // One request, read, served and answered; what the connection does next.
  awaitable<After> serve_one(const SnapshotPtr& snap);
  // The head: scanned in the raw bytes, parsed, checked; nullopt when it was answered (an error).
  awaitable<std::optional<After>> read_head(const ServerConfig& server, RequestParser& parser);
  awaitable<std::optional<After>> read_body(const ServerConfig& server, RequestParser& parser);
  // "100 Continue" before the body, for a request that expects it; false when it could not be sent.
  awaitable<bool> send_continue(const ServerConfig& server);
  // 405 with the route's Allow.
  awaitable<After> not_allowed(std::string_view allow, After next);
  // Runs the chain for the request in `x` and answers what it leaves to the session.
  awaitable<After> run_chain(proxy::Exchange& x);

  // Sends an answer of corral's own, keeping the connection when `next` says so and the request
  // allows; the request's snapshot bounds the write.
  awaitable<After> send(http_server::Response res, After next);
  awaitable<After> fail(Errc e, After next, std::string_view message = {}, std::string_view param = {});
  awaitable<After> reply(const proxy::Reply& r, const limits::HeaderList& headers, After next);
  awaitable<void> linger();
  // The request's record to the metrics and the access log (at the end of each request).
  void finish_record(const Snapshot& snap);

  Worker& worker_;
  proxy::Chain& chain_;
  AnyStream stream_;
  tcp::endpoint peer_;
  std::string peer_text_;  // the peer's address as the access log writes it (formatted once)
  beast::flat_buffer buffer_;
  Watchdog deadline_;
  ClientWriter writer_;
  DisconnectWatch watch_;
  proxy::Exchange exchange_;
  std::string request_id_;
  api::Dialect dialect_ = api::Dialect::openai;  // of the request's route: the shape of its errors
  observability::RequestRecord rec_;
  // The current request's parser and what it read: members rather than locals of serve_one so that
  // its coroutine frame stays within what Asio recycles per thread (about 1 KiB; a larger frame
  // goes to the heap and back at every request). The parser is made for each request; the
  // request's storage stays for the next one (a large body's is freed).
  RequestText request_;
  std::optional<RequestParser> parser_;  // reads into request_
  SnapshotPtr snap_;         // the current request's snapshot
  unsigned version_ = kHttp11;  // the current request's (answer) version
  bool keep_alive_ = true;   // the current request allows keep-alive
  bool idle_ = false;
  bool head_only_ = false;   // the request is a HEAD: answers carry no body
};

}  // namespace corral::http_server
