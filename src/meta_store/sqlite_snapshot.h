// Snapshot reads for the SQLite meta store: a pool of read connections, and a
// snapshot that holds one of them inside a read transaction. In WAL mode the first
// read of a transaction pins the WAL end, so later commits stay invisible until the
// snapshot is destroyed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meta_store/meta_store.h"
#include "meta_store/sqlite_conn.h"

namespace cairn {

class SqliteReaderPool {
 public:
  explicit SqliteReaderPool(std::string path) : path_(std::move(path)) {}

  // An idle connection, or a new one.
  Result<std::unique_ptr<SqliteConn>> Acquire();
  // Keeps `conn` for reuse (up to a few idle ones); it must not be in a transaction.
  void Release(std::unique_ptr<SqliteConn> conn);

 private:
  static constexpr size_t kMaxIdle = 8;
  const std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteConn>> idle_;
};

class SqliteSnapshot final : public MetaSnapshot {
 public:
  // Begins a read transaction on a pooled connection and reads the revision, which
  // pins the snapshot. The pool is shared so a snapshot may outlive its store.
  static Result<std::unique_ptr<MetaSnapshot>> Begin(std::shared_ptr<SqliteReaderPool> pool);
  ~SqliteSnapshot() override;

  int64_t revision() const override { return revision_; }
  Result<std::optional<KeyValue>> Get(std::string_view key) override;
  Result<std::vector<KeyValue>> Range(std::string_view begin, std::string_view end,
                                      size_t limit) override;

 private:
  SqliteSnapshot(std::shared_ptr<SqliteReaderPool> pool, std::unique_ptr<SqliteConn> conn,
                 int64_t revision)
      : pool_(std::move(pool)), conn_(std::move(conn)), revision_(revision) {}

  const std::shared_ptr<SqliteReaderPool> pool_;
  std::mutex mu_;  // one statement at a time on conn_
  std::unique_ptr<SqliteConn> conn_;
  const int64_t revision_;
};

}  // namespace cairn
