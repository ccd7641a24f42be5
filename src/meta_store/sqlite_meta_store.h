// SqliteMetaStore: the embedded default meta store, `sqlite:///abs/file.db`.
// One write connection (commits serialize in-process on a mutex and across processes
// on SQLite's write lock: BEGIN IMMEDIATE with busy waits and retries) and a pool of
// read connections for snapshots. WAL mode with synchronous=FULL: an acknowledged
// commit is durable, and readers never block the writer.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/url.h"
#include "meta_store/meta_store.h"
#include "meta_store/sqlite_conn.h"
#include "meta_store/sqlite_snapshot.h"

namespace cairn {

class SqliteMetaStore final : public MetaStore {
 public:
  // Opens or creates the file named by `url` (sqlite:///abs/file.db). Refuses a
  // relative path, a missing parent directory, a file that is not a database, another
  // application's database and a newer schema version, without modifying the file.
  static Result<std::unique_ptr<MetaStore>> Open(const Url& url, const MetaStoreOptions& options);

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return "sqlite://" + path_; }

 private:
  SqliteMetaStore(std::string path, Clock* clock, std::unique_ptr<SqliteConn> writer);

  Status BeginWrite();
  Result<int64_t> ApplyInWriteTxn(const Txn& txn);

  const std::string path_;
  Clock* const clock_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteConn> writer_;  // guarded by write_mu_
  const std::shared_ptr<SqliteReaderPool> readers_;
};

}  // namespace cairn
