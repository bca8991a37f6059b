// Durations ("250ms", "10s", "1m30s") and sizes ("16KiB", "8MiB", "4096") as the config writes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral {

using Duration = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// One or more <integer><unit> groups, units ms, s, m, h; e.g. "250ms", "5m", "1h30m".
std::optional<Duration> parse_duration(std::string_view text) noexcept;
// An integer number of bytes, optionally followed by B, KiB, MiB or GiB.
std::optional<std::uint64_t> parse_size(std::string_view text) noexcept;
// OpenAI's reset style: "1s", "250ms", "6m0s", "1h2m3s".
std::string format_duration(Duration d);
// Milliseconds with three decimals, as corral's timing headers carry them: "0.214".
std::string format_millis(std::chrono::duration<double> d);
// A UTC time as RFC 3339 with seconds: "2026-11-23T10:00:05Z".
std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace corral
