#include "state/state_writer.hpp"

#include <map>

#include <spdlog/spdlog.h>

namespace corral::state {

StateWriter::StateWriter(std::unique_ptr<UsageDb> db, Tenants tenants, std::function<Duration()> interval,
                         std::atomic<std::uint64_t>& errors)
    : db_(std::move(db)), tenants_(std::move(tenants)), interval_(std::move(interval)), errors_(errors) {}

StateWriter::~StateWriter() { stop(); }

void StateWriter::start() {
  thread_ = std::thread([this] { run(); });
}

void StateWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();  // what changed since the thread's last write
}

void StateWriter::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_(), [&] { return stopping_; });
    lock.unlock();
    flush();
    lock.lock();
  }
}

bool StateWriter::flush() {
  std::lock_guard lock(flush_mu_);
  std::vector<StoredRow> rows;
  std::vector<std::pair<std::shared_ptr<limits::TenantLimiter>, std::vector<limits::UsageLedger::Key>>> taken;
  for (auto& [tenant, limiter] : tenants_()) {
    auto changed = limiter->take_changed_usage();
    if (changed.empty()) continue;
    auto& keys = taken.emplace_back(limiter, std::vector<limits::UsageLedger::Key>()).second;
    for (auto& [key, row] : changed) {
      keys.push_back(key);
      rows.push_back({tenant, key.second, key.first, row});
    }
  }
  std::string error;
  if (db_->write(rows, error)) return true;
  errors_.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("state: {} usage rows not written (again at the next flush): {}", rows.size(), error);
  for (auto& [limiter, keys] : taken) limiter->mark_usage_changed(keys);
  return false;
}

bool load_usage(UsageDb& db, std::chrono::system_clock::time_point now,
                const std::function<void(const std::string&,
                                         const std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>&)>& restore,
                std::string& error) {
  std::vector<StoredRow> rows;
  const int today = limits::utc_day(now);
  if (!db.load(today - static_cast<int>(limits::UsageLedger::kMaxDays) + 1, rows, error)) return false;
  std::map<std::string, std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>> by_tenant;
  for (auto& r : rows) by_tenant[r.tenant].emplace_back(limits::UsageLedger::Key{r.day, std::move(r.model)}, r.usage);
  for (const auto& [tenant, tenant_rows] : by_tenant) restore(tenant, tenant_rows);
  spdlog::info("state: {} usage rows of {} tenants read from {}", rows.size(), by_tenant.size(), db.path());
  return true;
}

}  // namespace corral::state
