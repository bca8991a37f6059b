// Validation of a forwarded request: a JSON body with a model this tenant may call, the two token
// estimates, the model's context window; and, for streams, the request for the provider's usage
// chunk (the body is rewritten later, once, by the forward stage).
#pragma once

#include "proxy/stage.hpp"

namespace corral::proxy {

class ValidateStage final : public Stage {
 public:
  std::string_view name() const override { return "validate"; }
  std::optional<Verdict> at_once(Exchange& x) override;  // always a verdict: validation never waits
  awaitable<Verdict> on_request(Exchange& x) override { co_return *at_once(x); }
};

}  // namespace corral::proxy
