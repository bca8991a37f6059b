#include "state/usage_db.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace corral::state {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
  tenant TEXT NOT NULL,
  day TEXT NOT NULL,                 -- UTC, YYYY-MM-DD
  model TEXT NOT NULL,
  requests INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  cache_hits INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  PRIMARY KEY (tenant, day, model)
) WITHOUT ROWID;
)";

constexpr const char* kUpsert =
    "INSERT INTO usage (tenant, day, model, requests, prompt_tokens, completion_tokens, cached_tokens, cache_hits, "
    "cost_usd) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (tenant, day, model) DO UPDATE SET "
    "requests = excluded.requests, prompt_tokens = excluded.prompt_tokens, "
    "completion_tokens = excluded.completion_tokens, cached_tokens = excluded.cached_tokens, "
    "cache_hits = excluded.cache_hits, cost_usd = excluded.cost_usd";

struct Statement {
  sqlite3_stmt* s = nullptr;
  ~Statement() { sqlite3_finalize(s); }
};

}  // namespace

std::string UsageDb::message(const char* what) const {
  return path_ + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory");
}

bool UsageDb::exec(const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = path_ + ": " + (msg ? msg : sqlite3_errmsg(db_));
  sqlite3_free(msg);
  return false;
}

std::unique_ptr<UsageDb> UsageDb::open(const std::string& path, std::string& error) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = path + ": cannot create the directory " + dir.string() + ": " + ec.message();
    return nullptr;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  std::unique_ptr<UsageDb> db(new UsageDb(path, raw));
  if (rc != SQLITE_OK) {
    error = db->message("cannot open");
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 5000);
  // The journal mode, the schema and a write in one go: a file that is not a database, a newer
  // schema or a read-only file all fail here, at start.
  if (!db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", error)) return nullptr;
  if (!db->exec("BEGIN IMMEDIATE;", error)) return nullptr;
  if (!db->exec(kSchema, error)) return nullptr;
  Statement version;
  if (sqlite3_prepare_v2(raw, "SELECT max(version) FROM schema_version", -1, &version.s, nullptr) != SQLITE_OK ||
      sqlite3_step(version.s) != SQLITE_ROW) {
    error = db->message("cannot read the schema version");
    return nullptr;
  }
  const int stored = sqlite3_column_type(version.s, 0) == SQLITE_NULL ? 0 : sqlite3_column_int(version.s, 0);
  if (stored > kSchemaVersion) {
    error = path + ": written by a newer corral (schema version " + std::to_string(stored) + ", this one knows " +
            std::to_string(kSchemaVersion) + ")";
    return nullptr;
  }
  if (stored < kSchemaVersion && !db->exec("DELETE FROM schema_version; INSERT INTO schema_version VALUES (1);", error))
    return nullptr;
  if (!db->exec("COMMIT;", error)) return nullptr;
  if (sqlite3_prepare_v2(raw, kUpsert, -1, &db->upsert_, nullptr) != SQLITE_OK) {
    error = db->message("cannot prepare");
    return nullptr;
  }
  return db;
}

UsageDb::~UsageDb() {
  sqlite3_finalize(upsert_);
  sqlite3_close_v2(db_);
}

bool UsageDb::load(int from_day, std::vector<StoredRow>& out, std::string& error) {
  Statement q;
  if (sqlite3_prepare_v2(db_,
                         "SELECT tenant, day, model, requests, prompt_tokens, completion_tokens, cached_tokens, "
                         "cache_hits, cost_usd FROM usage WHERE day >= ?1",
                         -1, &q.s, nullptr) != SQLITE_OK) {
    error = message("cannot read");
    return false;
  }
  const auto from = limits::day_string(from_day);
  sqlite3_bind_text(q.s, 1, from.c_str(), static_cast<int>(from.size()), SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    auto text = [&](int i) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(q.s, i));
      return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(q.s, i))) : std::string();
    };
    auto count = [&](int i) { return static_cast<std::uint64_t>(std::max<sqlite3_int64>(0, sqlite3_column_int64(q.s, i))); };
    const auto day = limits::parse_day(text(1));
    if (!day) continue;  // not written by corral: left alone
    StoredRow r{text(0), text(2), *day, {}};
    r.usage.requests = count(3);
    r.usage.prompt_tokens = count(4);
    r.usage.completion_tokens = count(5);
    r.usage.cached_tokens = count(6);
    r.usage.cache_hits = count(7);
    r.usage.cost_usd = sqlite3_column_double(q.s, 8);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) {
    error = message("cannot read");
    return false;
  }
  return true;
}

bool UsageDb::write(const std::vector<StoredRow>& rows, std::string& error) {
  if (rows.empty()) return true;
  if (!exec("BEGIN IMMEDIATE;", error)) return false;
  for (const auto& r : rows) {
    const auto day = limits::day_string(r.day);
    sqlite3_reset(upsert_);
    sqlite3_bind_text(upsert_, 1, r.tenant.data(), static_cast<int>(r.tenant.size()), SQLITE_STATIC);
    sqlite3_bind_text(upsert_, 2, day.data(), static_cast<int>(day.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(upsert_, 3, r.model.data(), static_cast<int>(r.model.size()), SQLITE_STATIC);
    const std::uint64_t counts[] = {r.usage.requests, r.usage.prompt_tokens, r.usage.completion_tokens,
                                    r.usage.cached_tokens, r.usage.cache_hits};
    for (int i = 0; i < 5; ++i) sqlite3_bind_int64(upsert_, 4 + i, static_cast<sqlite3_int64>(counts[i]));
    sqlite3_bind_double(upsert_, 9, r.usage.cost_usd);
    if (sqlite3_step(upsert_) != SQLITE_DONE) {
      error = message("cannot write");
      sqlite3_reset(upsert_);
      std::string ignored;
      exec("ROLLBACK;", ignored);
      return false;
    }
  }
  sqlite3_reset(upsert_);
  if (!exec("COMMIT;", error)) {
    std::string ignored;
    exec("ROLLBACK;", ignored);
    return false;
  }
  return true;
}

}  // namespace corral::state
