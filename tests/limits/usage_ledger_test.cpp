// The usage ledger: rows per (day, model), this month's sums, ranges, the bound on days, and the
// rows changed since the state writer last took them.
#include "limits/usage_ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace corral::limits {
namespace {

const int kDay = utc_day(std::chrono::sys_days{std::chrono::year{2026} / 11 / 21});

TEST(UsageLedger, DaysMonthsAndBounds) {
  EXPECT_EQ(day_string(kDay), "2026-11-21");
  EXPECT_EQ(month_of_day(kDay), 202611);
  UsageLedger l;
  l.record("a", kDay, Usage{10, 5, 0}, 1.0, false);
  l.record("a", kDay - 30, Usage{10, 5, 0}, 1.0, false);  // October
  l.record("b", kDay, Usage{1, 1, 0}, 0.5, true);
  auto m = l.month(202611);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["a"].requests, 1u);
  EXPECT_EQ(m["b"].cache_hits, 1u);
  EXPECT_EQ(l.range(kDay - 31, kDay).size(), 3u);
  for (int d = 0; d < 500; ++d) l.record("a", kDay + d, Usage{1, 1, 0}, 0, false);
  EXPECT_LE(l.days(), UsageLedger::kMaxDays);
}

TEST(UsageLedger, ChangedRowsAreTakenOnceEachWithTheirWholeValues) {
  UsageLedger l;
  const std::string long_model = "a-model-name-longer-than-a-short-string";
  l.record(long_model, kDay, Usage{10, 5, 0}, 1.0, false);
  l.record("b", kDay, Usage{1, 1, 0}, 0.5, false);
  l.record(long_model, kDay, Usage{20, 5, 0}, 2.0, true);  // the same row again: listed once
  EXPECT_EQ(l.changed(), 2u);
  auto rows = l.take_changed();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].first, (UsageLedger::Key{kDay, long_model}));  // in the order they changed
  EXPECT_EQ(rows[0].second.requests, 2u);
  EXPECT_EQ(rows[0].second.prompt_tokens, 30u);
  EXPECT_EQ(rows[0].second.cache_hits, 1u);
  EXPECT_DOUBLE_EQ(rows[0].second.cost_usd, 3.0);
  EXPECT_EQ(rows[1].first, (UsageLedger::Key{kDay, "b"}));
  EXPECT_TRUE(l.take_changed().empty());  // nothing changed since

  l.record("b", kDay, Usage{1, 1, 0}, 0.5, false);  // changed again after being taken
  rows = l.take_changed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second.requests, 2u);  // the whole row, not what changed
}

TEST(UsageLedger, RowsMarkedAgainAfterAFailedWriteAreTakenNext) {
  UsageLedger l;
  l.record("a", kDay, Usage{1, 1, 0}, 0, false);
  l.record("b", kDay, Usage{1, 1, 0}, 0, false);
  const auto rows = l.take_changed();
  l.mark_changed({rows[0].first, rows[1].first, UsageLedger::Key{kDay, "never-recorded"}});
  l.record("a", kDay, Usage{1, 1, 0}, 0, false);  // listed already: not twice
  const auto again = l.take_changed();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].first.second, "a");
  EXPECT_EQ(again[0].second.requests, 2u);
  EXPECT_EQ(again[1].first.second, "b");
}

TEST(UsageLedger, ARowDroppedWithItsDayIsNoLongerListed) {
  UsageLedger l;
  l.record("old", kDay, Usage{1, 1, 0}, 0, false);
  l.record("new", kDay + static_cast<int>(UsageLedger::kMaxDays), Usage{1, 1, 0}, 0, false);  // drops kDay
  EXPECT_EQ(l.days(), 1u);
  const auto rows = l.take_changed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].first.second, "new");
}

TEST(UsageLedger, RestoredRowsAreNotChanged) {
  UsageLedger l;
  UsageRow r;
  r.requests = 3;
  l.restore(kDay, "a", r);
  EXPECT_TRUE(l.take_changed().empty());
  l.record("a", kDay, Usage{1, 1, 0}, 0, false);
  const auto rows = l.take_changed();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].second.requests, 4u);
  EXPECT_EQ(l.range(kDay, kDay).at({kDay, "a"}).requests, 4u);
}

}  // namespace
}  // namespace corral::limits
