// PgConnection and PgPool: a thin libpq layer for the postgres:// meta store.
// Every parameter and result travels in binary format, so bytea holds arbitrary bytes
// of any size without escaping. Errors become Status values that name the server
// (host:port) and never contain the password.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cairn {

struct PgConfig {
  std::string host;
  int port = 5432;
  std::string user;      // "" = libpq default (PGUSER or the OS user)
  std::string password;  // "" = libpq default (PGPASSWORD or ~/.pgpass)
  std::string dbname;
  std::string sslmode;  // "" = libpq default
  int connect_timeout_seconds = 5;
  std::string describe;  // the redacted URL, for error messages
};

using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

// One statement: SQL text with $n placeholders and its parameters. Byte strings are
// sent in binary (bytea, so any bytes and any size work); integers as decimal text.
// Byte parameters are views: the caller keeps them alive until the statement ran.
class PgStatement {
 public:
  explicit PgStatement(std::string sql) : sql_(std::move(sql)) {}
  PgStatement(PgStatement&&) = default;
  PgStatement(const PgStatement&) = delete;  // params_ may point into owned_

  PgStatement& Bytes(std::string_view v) {
    params_.push_back(v);
    formats_.push_back(1);
    return *this;
  }
  // A bytea[] in PostgreSQL's binary array format, for bulk statements over unnest().
  PgStatement& ByteArray(const std::vector<std::string_view>& elements);
  PgStatement& Int(int64_t v) {
    owned_.push_back(std::to_string(v));
    params_.push_back(owned_.back());
    formats_.push_back(0);
    return *this;
  }

  const std::string& sql() const { return sql_; }
  const std::vector<std::string_view>& params() const { return params_; }
  const std::vector<int>& formats() const { return formats_; }

 private:
  std::string sql_;
  std::vector<std::string_view> params_;
  std::vector<int> formats_;       // 1 = binary, 0 = text
  std::deque<std::string> owned_;  // deque: elements never move, so views stay valid
};

class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConfig& config);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement; results come back in binary format.
  Result<PgResult> Exec(const PgStatement& statement);
  Result<PgResult> Exec(const std::string& sql) { return Exec(PgStatement(sql)); }

  // Runs `statements` in order over libpq's pipeline mode (one round trip per chunk),
  // stopping at the first error, which is returned.
  Result<std::vector<PgResult>> ExecBatch(const std::vector<PgStatement>& statements);

  // True when the connection can be reused: open and outside any transaction.
  bool Reusable() const;

 private:
  PgConnection(PGconn* conn, const PgConfig& config)
      : conn_(conn), describe_(config.describe), password_(config.password) {}
  Status SendChunk(const std::vector<PgStatement>& statements, size_t begin, size_t end);
  Status CollectChunk(size_t count, std::vector<PgResult>* results);
  Status ResultError(const PGresult* result) const;
  Status ConnectionError(std::string_view what) const;

  PGconn* conn_;
  const std::string describe_;
  const std::string password_;  // only to scrub it from server messages
};

// Idle connections kept for reuse. Shared by the store and its snapshots, so a
// snapshot may outlive the store that made it.
class PgPool : public std::enable_shared_from_this<PgPool> {
 public:
  explicit PgPool(PgConfig config) : config_(std::move(config)) {}

  // A connection that returns to the pool when destroyed (if still reusable).
  class Lease {
   public:
    Lease(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> conn)
        : pool_(std::move(pool)), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    PgConnection* operator->() { return conn_.get(); }

   private:
    std::shared_ptr<PgPool> pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Result<Lease> Acquire();
  const PgConfig& config() const { return config_; }

 private:
  static constexpr size_t kMaxIdle = 8;

  const PgConfig config_;
  std::mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
};

// True for errors that mean "run the transaction again": serialization failures and
// deadlocks, which this layer reports as kAborted.
inline bool IsPgRetryable(const Status& status) { return status.code() == ErrorCode::kAborted; }

// Reads column `col` of row `row` of a binary-format result.
std::string PgBytes(const PGresult* result, int row, int col);
int64_t PgInt64(const PGresult* result, int row, int col);
bool PgBool(const PGresult* result, int row, int col);

}  // namespace cairn
