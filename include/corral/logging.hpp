// Process logging to stderr (systemd captures it). Never log keys or Authorization values.
#pragma once

#include <string_view>

namespace corral {

// level: trace, debug, info, warn, error, off. Unknown names fall back to info.
void init_logging(std::string_view level);

}  // namespace corral
