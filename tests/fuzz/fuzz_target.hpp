// One fuzz target per parser. Built two ways from the same source:
//  - with clang and -DCORRAL_FUZZ=ON: a libFuzzer program per target (tests/fuzz/CMakeLists.txt,
//    `make fuzz`), instrumented with AddressSanitizer and UndefinedBehaviorSanitizer;
//  - with any compiler: linked into corral_fuzz_replay, which runs every target over its corpus in
//    tests/fuzz/corpus/<target>/ as a regression test (ctest `fuzz_replay`).
// FUZZ_CHECK states a property beyond "does not crash"; a violation aborts (a finding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

#ifdef CORRAL_LIBFUZZER
#define CORRAL_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
#else
namespace corral::fuzz {
using Target = int (*)(const std::uint8_t*, std::size_t);
bool register_target(const char* name, Target t);
}  // namespace corral::fuzz
#define CORRAL_FUZZ_TARGET(name)                                                                     \
  static int name##_fuzz_one(const std::uint8_t* data, std::size_t size);                            \
  [[maybe_unused]] static const bool name##_registered = corral::fuzz::register_target(#name, name##_fuzz_one); \
  static int name##_fuzz_one(const std::uint8_t* data, std::size_t size)
#endif

namespace corral::fuzz {
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
// A split point taken from the input itself, so a finding replays exactly.
inline std::size_t split_point(std::string_view in) {
  if (in.empty()) return 0;
  return static_cast<unsigned char>(in[0]) * 131u % (in.size() + 1);
}
}  // namespace corral::fuzz
