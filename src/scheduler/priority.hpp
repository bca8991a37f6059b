// A request's priority class: its tenant's tier, or lower when it asks with
// x-corral-priority (batch work). A request can never raise itself above its tier.
#pragma once

#include <string_view>

#include "corral/config.hpp"

namespace corral::scheduler {

inline Priority effective_priority(Priority tier, std::string_view header) {
  Priority asked;
  if (header == "high") asked = Priority::high;
  else if (header == "normal") asked = Priority::normal;
  else if (header == "low") asked = Priority::low;
  else return tier;  // absent or unknown: the tier's
  return static_cast<int>(asked) > static_cast<int>(tier) ? asked : tier;  // only ever lower
}

}  // namespace corral::scheduler
