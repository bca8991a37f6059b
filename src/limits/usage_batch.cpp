#include "limits/usage_batch.hpp"

#include <cmath>

#include "limits/shared_limits.hpp"
#include "limits/shared_scripts.hpp"

namespace corral::limits {

void UsageBatch::add(const std::string& tenant, const std::string& model, int day, const Usage& used, double cost_usd,
                     bool cache_hit, bool spend) {
  const int month = month_of_day(day);
  const auto dd = day_string(day).substr(8, 2);
  const auto field = [&](char counter) { return dd + "|" + model + "|" + counter; };
  auto& f = building_[{tenant, month}];
  f[field('r')] += 1;
  if (used.prompt_tokens) f[field('p')] += static_cast<long long>(used.prompt_tokens);
  if (used.completion_tokens) f[field('c')] += static_cast<long long>(used.completion_tokens);
  if (used.cached_tokens) f[field('k')] += static_cast<long long>(used.cached_tokens);
  if (cache_hit) f[field('h')] += 1;
  auto& m = money_[{tenant, month}];
  if (cost_usd > 0) m[field('m')] += cost_usd;
  if (spend && cost_usd > 0) m["spent"] += cost_usd;
}

// The batch in the making becomes the batch to send: whole micro-dollars go with it, the rest stays.
void UsageBatch::seal() {
  for (auto& [tm, money] : money_)
    for (auto it = money.begin(); it != money.end();) {
      const auto micro = static_cast<long long>(std::floor(it->second * 1e6));
      if (micro > 0) {
        building_[tm][it->first] += micro;
        it->second -= static_cast<double>(micro) / 1e6;
      }
      it = it->second * 1e6 < 1e-3 ? money.erase(it) : std::next(it);
    }
  std::erase_if(money_, [](const auto& kv) { return kv.second.empty(); });
  for (auto& [tm, fields] : building_) {
    Item item{tenant_keys(prefix_, tm.first).month(tm.second), {}, false};
    item.fields.assign(fields.begin(), fields.end());
    sending_.push_back(std::move(item));
  }
  building_.clear();
  ++seq_;
}

awaitable<bool> UsageBatch::flush(redis::RedisClient& redis, std::string_view key_prefix, std::string_view writer) {
  prefix_.assign(key_prefix);
  const auto ttl = std::to_string(kUsageTtl.count());
  // The batch that failed last time first, then the one in the making.
  for (int round = 0; round < 2; ++round) {
    if (sending_.empty()) {
      if (building_.empty() && money_.empty()) break;
      seal();
    }
    const auto seq = std::to_string(seq_);
    bool all = true;
    for (auto& item : sending_) {
      if (item.sent) continue;
      std::vector<std::string> numbers;
      numbers.reserve(item.fields.size());
      for (const auto& [field, n] : item.fields) numbers.push_back(std::to_string(n));
      std::vector<std::string_view> keys{item.key};
      std::vector<std::string_view> args{writer, seq, ttl};
      for (std::size_t i = 0; i < item.fields.size(); ++i) {
        args.push_back(item.fields[i].first);
        args.push_back(numbers[i]);
      }
      auto r = co_await redis::run(redis, scripts::add_usage(), std::move(keys), std::move(args), redis::Op::usage);
      item.sent = r.ok();
      all = all && item.sent;
    }
    if (!all) co_return false;
    sending_.clear();
  }
  co_return true;
}

}  // namespace corral::limits
