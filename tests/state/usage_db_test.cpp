#include "state/usage_db.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "state/state_writer.hpp"

#include "temp_dir.hpp"

namespace corral::state {
namespace {

std::string temp_path(const std::string& name) {
  return tests::temp_dir("corral-state-test") + "/" + name;
}

// A statement through a connection of the test's own (another process would do the same).
void sql(const std::string& path, const char* statement) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

limits::UsageRow row(std::uint64_t requests, double cost) {
  limits::UsageRow r;
  r.requests = requests;
  r.prompt_tokens = 10 * requests;
  r.completion_tokens = 5 * requests;
  r.cost_usd = cost;
  return r;
}

TEST(UsageDb, RowsAreWrittenWholeAndReadBack) {
  const auto path = temp_path("sub/dir/state.db");  // directories are made
  std::string error;
  auto db = UsageDb::open(path, error);
  ASSERT_TRUE(db) << error;
  ASSERT_TRUE(db->write({{"acme", "gpt", 20000, row(2, 0.25)}, {"acme", "mini", 20000, row(1, 0.5)},
                         {"beta", "gpt", 19990, row(7, 1.0)}},
                        error))
      << error;
  ASSERT_TRUE(db->write({{"acme", "gpt", 20000, row(3, 0.375)}}, error)) << error;  // replaces, not adds
  std::vector<StoredRow> rows;
  ASSERT_TRUE(db->load(19995, rows, error)) << error;
  ASSERT_EQ(rows.size(), 2u);  // beta's day is older than asked
  EXPECT_EQ(rows[0].tenant, "acme");
  EXPECT_EQ(rows[0].model, "gpt");
  EXPECT_EQ(rows[0].day, 20000);
  EXPECT_EQ(rows[0].usage.requests, 3u);
  EXPECT_EQ(rows[0].usage.prompt_tokens, 30u);
  EXPECT_DOUBLE_EQ(rows[0].usage.cost_usd, 0.375);
  EXPECT_EQ(rows[1].model, "mini");
  db.reset();
  // Opened again: the same rows.
  db = UsageDb::open(path, error);
  ASSERT_TRUE(db) << error;
  rows.clear();
  ASSERT_TRUE(db->load(0, rows, error));
  EXPECT_EQ(rows.size(), 3u);
}

TEST(UsageDb, AFileItCannotUseIsRefusedWithItsPathAndTheReason) {
  std::string error;
  const auto corrupt = temp_path("corrupt.db");
  std::ofstream(corrupt) << std::string(4096, 'x');
  EXPECT_FALSE(UsageDb::open(corrupt, error));
  EXPECT_NE(error.find(corrupt + ": file is not a database"), std::string::npos) << error;

  const auto newer = temp_path("newer.db");
  { ASSERT_TRUE(UsageDb::open(newer, error)) << error; }
  sql(newer, "UPDATE schema_version SET version = 9");
  EXPECT_FALSE(UsageDb::open(newer, error));
  EXPECT_NE(error.find("written by a newer corral (schema version 9"), std::string::npos) << error;

  const auto file = temp_path("plain");
  std::ofstream(file) << "x";
  EXPECT_FALSE(UsageDb::open(file + "/state.db", error));
  EXPECT_NE(error.find("cannot create the directory"), std::string::npos) << error;
}

TEST(StateWriter, WritesWhatChangedAndAFailedWriteAgainNextTime) {
  const auto path = temp_path("state.db");
  std::string error;
  auto db = UsageDb::open(path, error);
  ASSERT_TRUE(db) << error;
  auto acme = std::make_shared<limits::TenantLimiter>();
  std::atomic<std::uint64_t> errors{0};
  StateWriter writer(
      std::move(db), [&] { return std::vector<std::pair<std::string, std::shared_ptr<limits::TenantLimiter>>>{{"acme", acme}}; },
      [] { return std::chrono::hours(1); }, errors);
  auto use = [&](std::uint64_t prompt) {
    limits::TenantLimiter::Ask ask{100, 0};
    const auto now = std::chrono::steady_clock::now();
    ASSERT_EQ(acme->admit(ask, now, 202611).error, Errc::ok);
    acme->finish(ask, "gpt", limits::Usage{prompt, 1, 0}, 0.5, true, false, now, 20416);
  };
  use(10);
  ASSERT_TRUE(writer.flush());
  EXPECT_TRUE(acme->take_changed_usage().empty());  // written: nothing changed since

  // The table is away while the next write runs: it fails, is counted, and is done again later.
  use(20);
  sql(path, "ALTER TABLE usage RENAME TO usage_away");
  EXPECT_FALSE(writer.flush());
  EXPECT_EQ(errors.load(), 1u);
  sql(path, "ALTER TABLE usage_away RENAME TO usage");
  ASSERT_TRUE(writer.flush());
  writer.stop();

  db = UsageDb::open(path, error);
  ASSERT_TRUE(db) << error;
  std::vector<std::pair<std::string, std::vector<std::pair<limits::UsageLedger::Key, limits::UsageRow>>>> restored;
  ASSERT_TRUE(load_usage(*db, std::chrono::sys_days{std::chrono::days{20416}},
                         [&](const std::string& tenant, const auto& rows) { restored.emplace_back(tenant, rows); }, error));
  ASSERT_EQ(restored.size(), 1u);
  ASSERT_EQ(restored[0].second.size(), 1u);
  const auto& r = restored[0].second[0].second;
  EXPECT_EQ(r.requests, 2u);
  EXPECT_EQ(r.prompt_tokens, 30u);
  EXPECT_DOUBLE_EQ(r.cost_usd, 1.0);

  // Restored into a new limiter: the month's spend counts against the budget again.
  limits::TenantLimiter fresh;
  fresh.configure({}, 1.2, std::chrono::steady_clock::now());
  fresh.restore(restored[0].second, limits::month_of_day(20416));
  EXPECT_DOUBLE_EQ(fresh.status(std::chrono::steady_clock::now(), limits::month_of_day(20416)).spent_usd, 1.0);
  EXPECT_EQ(fresh.admit({10, 0.5}, std::chrono::steady_clock::now(), limits::month_of_day(20416)).error,
            Errc::insufficient_quota);
}

}  // namespace
}  // namespace corral::state
