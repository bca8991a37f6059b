#include "limits/usage_ledger.hpp"

#include <cstdio>

namespace corral::limits {

double cost_usd(const Usage& u, const std::optional<Price>& price) {
  if (!price) return 0;
  const auto cached = std::min(u.cached_tokens, u.prompt_tokens);
  return (static_cast<double>(u.prompt_tokens - cached) * price->input +
          static_cast<double>(cached) * price->cached_input +
          static_cast<double>(u.completion_tokens) * price->output) /
         1e6;
}

int utc_day(std::chrono::system_clock::time_point t) {
  return static_cast<int>(std::chrono::floor<std::chrono::days>(t).time_since_epoch().count());
}

int month_of_day(int day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return static_cast<int>(ymd.year()) * 100 + static_cast<int>(static_cast<unsigned>(ymd.month()));
}

std::string day_string(int day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) {
    unsigned v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + static_cast<unsigned>(text[i] - '0');
    return v;
  };
  y = static_cast<int>(num(0, 4));
  m = num(5, 2);
  d = num(8, 2);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

void UsageRow::add(const UsageRow& o) {
  requests += o.requests;
  prompt_tokens += o.prompt_tokens;
  completion_tokens += o.completion_tokens;
  cached_tokens += o.cached_tokens;
  cache_hits += o.cache_hits;
  cost_usd += o.cost_usd;
}

void UsageLedger::record(std::string_view model, int day, const Usage& u, double cost,
                         bool cache_hit) {
  auto it = rows_.find(std::pair<int, std::string_view>(day, model));
  if (it == rows_.end()) it = rows_.emplace(Key{day, std::string(model)}, Row{}).first;
  auto& row = it->second.usage;
  ++row.requests;
  row.prompt_tokens += u.prompt_tokens;
  row.completion_tokens += u.completion_tokens;
  row.cached_tokens += u.cached_tokens;
  row.cache_hits += cache_hit ? 1 : 0;
  row.cost_usd += cost;
  mark(it);
  drop_old_days();
}

void UsageLedger::mark(Rows::iterator it) {
  if (it->second.changed) return;
  it->second.changed = true;
  changed_.push_back(it);
}

// Bounded: whole days older than the newest kMaxDays go (a day at a time, so rarely listed).
void UsageLedger::drop_old_days() {
  while (!rows_.empty() && rows_.rbegin()->first.first - rows_.begin()->first.first >= static_cast<int>(kMaxDays)) {
    if (rows_.begin()->second.changed) std::erase(changed_, rows_.begin());
    rows_.erase(rows_.begin());
  }
}

void UsageLedger::restore(int day, const std::string& model, const UsageRow& row) {
  rows_[{day, model}].usage.add(row);
  drop_old_days();
}

std::vector<std::pair<UsageLedger::Key, UsageRow>> UsageLedger::take_changed() {
  std::vector<std::pair<Key, UsageRow>> out;
  out.reserve(changed_.size());
  for (const auto it : changed_) {
    out.emplace_back(it->first, it->second.usage);
    it->second.changed = false;
  }
  changed_.clear();
  return out;
}

void UsageLedger::mark_changed(const std::vector<Key>& keys) {
  for (const auto& k : keys)
    if (auto it = rows_.find(k); it != rows_.end()) mark(it);
}

std::map<std::string, UsageRow> UsageLedger::month(int month_key) const {
  std::map<std::string, UsageRow> out;
  for (const auto& [key, row] : rows_)
    if (month_of_day(key.first) == month_key) out[key.second].add(row.usage);
  return out;
}

std::map<std::pair<int, std::string>, UsageRow> UsageLedger::range(int from_day, int to_day) const {
  std::map<std::pair<int, std::string>, UsageRow> out;
  const auto first = rows_.lower_bound(std::pair<int, std::string_view>(from_day, {}));
  for (auto it = first; it != rows_.end() && it->first.first <= to_day; ++it)
    out.emplace(it->first, it->second.usage);
  return out;
}

std::size_t UsageLedger::days() const {
  std::size_t n = 0;
  int last = INT32_MIN;
  for (const auto& [key, row] : rows_)
    if (key.first != last) {
      ++n;
      last = key.first;
    }
  return n;
}

}  // namespace corral::limits
