// Forwarding: the body sent upstream (the route's model name, the usage chunk of a stream, the
// maximum output of a budgeted tenant; rewritten once, or the client's bytes as they came), the
// upstream request (upstream/upstream_request), and the relay of the answer through the capture
// and usage-tap sinks into the client writer. The completion hook works out what the request is
// charged: the provider's usage, or for an answer cut short an estimate of what was relayed.
#pragma once

#include "proxy/stage.hpp"

namespace corral {
struct Worker;
}

namespace corral::proxy {

class ForwardStage final : public Stage {
 public:
  explicit ForwardStage(Worker& worker) : worker_(worker) {}
  std::string_view name() const override { return "forward"; }
  awaitable<Verdict> on_request(Exchange& x) override;
  bool completes() const override { return true; }
  awaitable<void> on_complete(Exchange& x) override;

 private:
  Worker& worker_;
};

}  // namespace corral::proxy
