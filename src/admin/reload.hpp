// Reloading the configuration (SIGHUP and POST /admin/reload): read and validate the file; an
// invalid one is logged error by error with positions and changes nothing; a valid one is
// swapped in atomically (requests in flight keep the snapshot they began with). Reloads are
// serialised; each one is counted by result.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "runtime.hpp"

namespace corral::admin {

class Reloader {
 public:
  Reloader(Runtime& runtime, std::string path) : runtime_(runtime), path_(std::move(path)) {}

  struct Outcome {
    bool ok = false;
    std::vector<std::string> errors;  // "PATH:LINE:COLUMN: message" each
    std::vector<std::string> warnings;
  };
  Outcome reload();

  std::uint64_t succeeded() const { return ok_.load(std::memory_order_relaxed); }
  std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  Runtime& runtime_;
  const std::string path_;
  std::mutex mu_;
  std::atomic<std::uint64_t> ok_{0}, failed_{0};
};

// Settings that a running process cannot change (listeners, threads): a warning each.
std::vector<std::string> restart_only_changes(const Config& before, const Config& after);

}  // namespace corral::admin
