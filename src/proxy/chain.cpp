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
  std::size_t ran = 0;
  while (ran < stages_.size()) {
    const auto verdict = co_await stages_[ran++]->on_request(x);
    if (verdict == Verdict::stop) break;
  }
  while (ran-- > 0)
    if (stages_[ran]->completes()) co_await stages_[ran]->on_complete(x);
}

}  // namespace corral::proxy
