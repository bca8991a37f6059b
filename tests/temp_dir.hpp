// Temporary directories of a test program: each made new under /tmp, and removed with everything
// in it when the program exits (after its tests' processes and files are done with), so a run of
// the suites leaves nothing behind.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace corral::tests {

namespace detail {
struct TempDirs {
  std::mutex mu;
  std::vector<std::string> made;
  ~TempDirs() {
    for (const auto& dir : made) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};
inline TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace detail

// A new directory, /tmp/<prefix>- and six characters mkdtemp picks.
inline std::string temp_dir(std::string_view prefix) {
  std::string dir = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (!mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed for " + dir);
  auto& dirs = detail::temp_dirs();
  std::lock_guard lock(dirs.mu);
  dirs.made.push_back(dir);
  return dir;
}

}  // namespace corral::tests
