// The Lua scripts of the shared limits, one per decision (shared_scripts.cpp has the key layout).
#pragma once

#include "redis/script.hpp"

namespace corral::limits::scripts {

const redis::Script& admit();
const redis::Script& settle();
const redis::Script& heartbeat();
const redis::Script& take();
const redis::Script& status();
const redis::Script& add_usage();
const redis::Script& presence();

}  // namespace corral::limits::scripts
