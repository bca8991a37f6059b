// A stage of the request path: one concern (local routes, validation, cache, admission, queue,
// forwarding), run in order by the Chain. A stage reads and fills the Exchange and answers
// `proceed` (the next stage goes on) or `stop` (the request is answered: an Exchange::reply for
// the session to send, or an answer the stage wrote itself, or nothing when the client is gone).
// Stages hold no per-request state (it lives in the Exchange); what they need from the
// configuration is built once per snapshot (StageConfigs). After the chain stops, the completion
// hook of every stage that ran is called, in reverse order (settling usage, freeing the provider
// slot, filling the cache).
#pragma once

#include <string_view>

#include "corral/asio.hpp"
#include "proxy/exchange.hpp"

namespace corral::proxy {

enum class Verdict { proceed, stop };

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual awaitable<Verdict> on_request(Exchange& x) = 0;
  // Only stages that return true from completes() have their on_complete() called.
  virtual bool completes() const { return false; }
  virtual awaitable<void> on_complete(Exchange&) { co_return; }
};

}  // namespace corral::proxy
