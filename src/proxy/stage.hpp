// A stage of the request path: one concern (local routes, validation, cache, admission, queue,
// forwarding), run in order by the Chain. A stage reads and fills the Exchange and answers
// `proceed` (the next stage goes on) or `stop` (the request is answered: an Exchange::reply for
// the session to send, or an answer the stage wrote itself, or nothing when the client is gone).
// Stages hold no per-request state (it lives in the Exchange); what they need from the
// configuration is built once per snapshot (StageConfigs). After the chain stops, the completion
// hook of every stage that ran is called, in reverse order (settling usage, freeing the provider
// slot, filling the cache).
//
// Most requests pass most stages without waiting for anything, so a stage may answer at once:
// at_once() gives the verdict when nothing has to be awaited, or nullopt having changed nothing,
// and only then is the coroutine on_request() run (the whole stage, from the start). A verdict
// given at once costs no coroutine frame and no turn of the awaitable machinery. Completion
// likewise: complete_at_once() returns true when it has completed, or false having changed
// nothing, and on_complete() is awaited.
#pragma once

#include <optional>
#include <string_view>

#include "corral/asio.hpp"
#include "proxy/exchange.hpp"

namespace corral::proxy {

enum class Verdict { proceed, stop };

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual std::optional<Verdict> at_once(Exchange&) { return std::nullopt; }
  virtual awaitable<Verdict> on_request(Exchange& x) = 0;
  // Only stages that return true from completes() are completed.
  virtual bool completes() const { return false; }
  virtual bool complete_at_once(Exchange&) { return false; }
  virtual awaitable<void> on_complete(Exchange&) { co_return; }
};

}  // namespace corral::proxy
