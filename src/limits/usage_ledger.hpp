// Usage per model and UTC day for one tenant: requests, tokens, cached tokens and cost. Kept in
// memory (the embedded default), bounded to the most recent kMaxDays days.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/usage.hpp"
#include "corral/config.hpp"

namespace corral::limits {

using Usage = api::Usage;

// USD for `u` at `price` (per million tokens); cached prompt tokens at cached_input.
double cost_usd(const Usage& u, const std::optional<Price>& price);

// Days since 1970-01-01 (UTC) and the month they fall in, as yyyymm.
int utc_day(std::chrono::system_clock::time_point t);
int month_of_day(int day);
std::string day_string(int day);  // "2026-11-21"
std::optional<int> parse_day(std::string_view text);  // "2026-11-21" -> day; nothing if not a date

struct UsageRow {
  std::uint64_t requests = 0, prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  std::uint64_t cache_hits = 0;  // requests answered from corral's cache
  double cost_usd = 0;
  void add(const UsageRow& o);
};

class UsageLedger {
 public:
  static constexpr std::size_t kMaxDays = 400;
  using Key = std::pair<int, std::string>;  // (day, model)

  // Every request's usage: finding its row builds no key (only a new row's is built).
  void record(std::string_view model, int day, const Usage& u, double cost, bool cache_hit);
  // Adds a row read back from durable storage (not marked as changed).
  void restore(int day, const std::string& model, const UsageRow& row);
  // The rows changed since the last call, with their whole values, in the order they first
  // changed; they count as unchanged after.
  std::vector<std::pair<Key, UsageRow>> take_changed();
  // Rows whose write failed: changed again, so that the next take_changed() has them.
  void mark_changed(const std::vector<Key>& keys);
  // This month's rows summed per model.
  std::map<std::string, UsageRow> month(int month_key) const;
  // Rows with from <= day <= to, keyed (day, model).
  std::map<std::pair<int, std::string>, UsageRow> range(int from_day, int to_day) const;
  std::size_t days() const;
  std::size_t changed() const { return changed_.size(); }

 private:
  // (day, model) in order, a key compared with a (day, model view) too.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      if (a.first != b.first) return a.first < b.first;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };
  struct Row {
    UsageRow usage;
    bool changed = false;  // listed in changed_
  };
  using Rows = std::map<Key, Row, KeyLess>;

  void mark(Rows::iterator it);
  void drop_old_days();

  Rows rows_;                            // ordered by day, then model
  std::vector<Rows::iterator> changed_;  // since the last take_changed(), each row once
};

}  // namespace corral::limits
