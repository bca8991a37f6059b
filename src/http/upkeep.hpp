// How often each I/O thread's upkeep with Redis runs (Server::redis_upkeep). Pure, for its test.
#pragma once

#include <algorithm>

#include "corral/units.hpp"

namespace corral::http_server {

// Until Redis has been reached, and while this instance's presence is not yet recorded there, the
// upkeep tries again soon: the live instances divide the providers' capacity, and until then this
// one counts itself alone.
inline constexpr Duration kRedisRetry{100};

// The wait before the next run. Otherwise, and always when no Redis is configured, it is the flush
// interval: without Redis the loop only notices a reload that adds it, and a retry every 100 ms
// would wake each idle I/O thread ten times a second for nothing.
constexpr Duration redis_upkeep_delay(bool redis_configured, bool contact_pending, Duration flush_interval) {
  return redis_configured && contact_pending ? std::min(kRedisRetry, flush_interval) : flush_interval;
}

}  // namespace corral::http_server
