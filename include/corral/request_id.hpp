// x-request-id: kept from the client when it is well-formed, otherwise generated.
#pragma once

#include <string>
#include <string_view>

namespace corral {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// True when `id` is 1..128 visible ASCII characters (0x21-0x7e).
bool valid_request_id(std::string_view id) noexcept;
// A new random id, "req_" + 32 hex digits (per-thread generator, no locks), written into `id`
// (whose storage is kept: no allocation once it has held one).
void generate_request_id(std::string& id);

}  // namespace corral
