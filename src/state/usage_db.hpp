// The durable copy of the usage ledger: a SQLite database with one row per tenant, model and UTC
// day (requests, tokens, cost), which an operator can read with `sqlite3`. WAL journal,
// synchronous=NORMAL, a busy timeout, prepared statements, a versioned schema. Not thread-safe:
// used at start by the loader and afterwards only by the state writer's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "limits/usage_ledger.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace corral::state {

struct StoredRow {
  std::string tenant, model;
  int day = 0;  // days since 1970-01-01 (UTC)
  limits::UsageRow usage;
};

class UsageDb {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens the database at `path` (creating the file and its directory when missing), brings the
  // schema to kSchemaVersion and checks that it can be written. Null, with `error` set (the path
  // and the reason), when any of that fails.
  static std::unique_ptr<UsageDb> open(const std::string& path, std::string& error);
  ~UsageDb();
  UsageDb(const UsageDb&) = delete;
  UsageDb& operator=(const UsageDb&) = delete;

  // Every row of a day >= from_day.
  bool load(int from_day, std::vector<StoredRow>& out, std::string& error);
  // Writes the rows (their whole values, replacing what is stored) in one transaction: all or none.
  bool write(const std::vector<StoredRow>& rows, std::string& error);
  const std::string& path() const { return path_; }

 private:
  UsageDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  bool exec(const char* sql, std::string& error);
  std::string message(const char* what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
};

}  // namespace corral::state
