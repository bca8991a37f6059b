#include "proxy/chain.hpp"

namespace corral::proxy {

Chain::Chain(Worker& worker)
    : local_(worker), cache_(worker, admission_), admission_(worker), forward_(worker),
      stages_{&local_, &validate_, &cache_, &admission_, &forward_} {}

std::shared_ptr<const StageConfigs> Chain::configs(const SnapshotPtr& snap) {
  if (snap != configs_of_) {
    configs_ = std::make_shared<const StageConfigs>(*snap->config);
    configs_of_ = snap;
  }
  return configs_;
}

awaitable<void> Chain::run(Exchange& x) {
  // (A stage's coroutine is awaited only when it said it must wait.)
  std::size_t ran = 0;
  while (ran < stages_.size()) {
    auto& stage = *stages_[ran++];
    auto verdict = stage.at_once(x);
    if (!verdict) verdict = co_await stage.on_request(x);
    if (*verdict == Verdict::stop) break;
  }
  while (ran-- > 0) {
    auto& stage = *stages_[ran];
    if (stage.completes() && !stage.complete_at_once(x)) co_await stage.on_complete(x);
  }
}

}  // namespace corral::proxy
