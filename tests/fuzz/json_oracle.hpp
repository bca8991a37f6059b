// nlohmann's parser as the oracle for the raw JSON scanner (src/api/json_scan.hpp), on the inputs
// where both should judge alike: nlohmann also stops reading at a NUL byte and skips a leading
// UTF-8 byte order mark, and it has no nesting limit where the scanner stops at 64 levels.
#pragma once

#include <algorithm>
#include <string_view>

#include <nlohmann/json.hpp>

namespace corral::fuzz {

// How deeply a parsed value nests (a scalar: 0).
inline int json_depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int d = 0;
  for (const auto& v : j) d = std::max(d, json_depth(v));
  return d + 1;
}

// `in` is a text nlohmann accepted (`j`) that the scanner must accept too.
inline bool scanner_must_accept(std::string_view in, const nlohmann::json& j) {
  return !j.is_discarded() && in.find('\0') == std::string_view::npos && !in.starts_with("\xEF\xBB\xBF") &&
         json_depth(j) <= 64;
}

}  // namespace corral::fuzz
