// This thread's generator of uniformly distributed 64-bit values: request ids, the choice among
// routes. Not for secrets.
#pragma once

#include <cstdint>

namespace corral {

// The next value of this thread's xoshiro256** generator, whose whole state (256 bits) is seeded
// from the system's entropy on its thread's first call: threads and instances do not repeat each
// other's sequences. A few instructions a call, no lock.
std::uint64_t random_u64() noexcept;

}  // namespace corral
