// One I/O thread's usage on its way to Redis (docs/scale-out.md: counters per tenant, model and UTC
// day, in integers, batched): requests are added as they finish, and every flush interval the
// batch goes out as one script call per tenant and month. A batch that fails is sent again
// unchanged before anything newer, under the same sequence number, so that a batch whose reply was
// lost is not counted twice (Redis skips a sequence it has applied). Money is sent in whole
// micro-dollars; what is left of a micro-dollar waits for the next batch, so nothing drifts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "limits/usage_ledger.hpp"
#include "redis/redis_client.hpp"

namespace corral::limits {

class UsageBatch {
 public:
  // `spend`: the cost also counts against the month's shared spend (a request admitted without
  // Redis; one that Redis admitted adds its cost when it is settled).
  void add(const std::string& tenant, const std::string& model, int day, const Usage& used, double cost_usd,
           bool cache_hit, bool spend);
  bool empty() const { return building_.empty() && sending_.empty(); }

  // Sends the batch in the making (after the one that failed, if any); false when some of it could
  // not be sent (it is kept for the next call). `writer` names this instance and thread for good.
  awaitable<bool> flush(redis::RedisClient& redis, std::string_view key_prefix, std::string_view writer);

 private:
  struct Item {  // one tenant and month of one batch
    std::string key;                                       // the month's hash
    std::vector<std::pair<std::string, long long>> fields;  // field, increment
    bool sent = false;
  };
  void seal();

  // tenant, month -> field -> increment; money apart, as dollars, until it is sealed
  std::map<std::pair<std::string, int>, std::map<std::string, long long>> building_;
  std::map<std::pair<std::string, int>, std::map<std::string, double>> money_;
  std::string prefix_;
  std::vector<Item> sending_;
  std::uint64_t seq_ = 0;  // of sending_
};

}  // namespace corral::limits
