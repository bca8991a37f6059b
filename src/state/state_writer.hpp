// Keeps the usage ledgers durable: a thread of its own (never an I/O thread) writes the usage rows
// that changed since the last write to the UsageDb, at least every flush interval and once more
// when it stops (at drain). A failed write is logged and counted (corral_state_errors_total) and
// its rows are written again next time; rows are written whole, so writing one twice is harmless.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "corral/units.hpp"
#include "limits/tenant_limiter.hpp"
#include "state/usage_db.hpp"

namespace corral::state {

class StateWriter {
 public:
  // Every tenant's limiter (the tenants of every configuration since start, by id).
  using Tenants = std::function<std::vector<std::pair<std::string, std::shared_ptr<limits::TenantLimiter>>>()>;

  StateWriter(std::unique_ptr<UsageDb> db, Tenants tenants, std::function<Duration()> interval,
              std::atomic<std::uint64_t>& errors);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void start();
  void stop();  // writes what changed, then the thread ends
  // Writes what changed now; false when the database refused it.
  bool flush();

 private:
  void run();

  std::unique_ptr<UsageDb> db_;
  Tenants tenants_;
  std::function<Duration()> interval_;
  std::atomic<std::uint64_t>& errors_;
  std::mutex flush_mu_;  // one flush at a time (the thread's, or stop's)
  std::mutex mu_;        // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Reads back the rows of the last kMaxDays days and hands each tenant's to `restore` (grouped).
bool load_usage(UsageDb& db, std::chrono::system_clock::time_point now,
                const std::function<void(const std::string& tenant,
                                         const std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>&)>& restore,
                std::string& error);

}  // namespace corral::state
