// PostgresMetaStore: `postgres://user@host:port/db?schema=S` on libpq (design.md §2).
// A commit is one transaction that first locks the revision row (SELECT ... FOR
// UPDATE), so commits are serialized and each bumps the revision by exactly one; it
// evaluates the compares, applies the ops in order and stores the new revision.
// Serialization failures and deadlocks are retried with backoff. A snapshot is a
// pooled connection inside a REPEATABLE READ READ ONLY transaction whose first
// statement reads the revision. The password comes from the URL or $PGPASSWORD and
// never appears in errors or DescribeForLog().
#pragma once

#include <memory>
#include <string>

#include "common/url.h"
#include "meta_store/meta_store.h"
#include "meta_store/postgres_connection.h"
#include "meta_store/postgres_schema.h"

namespace cairn {

class PostgresMetaStore final : public MetaStore {
 public:
  // Connects and creates the schema and its tables when missing.
  static Result<std::unique_ptr<MetaStore>> Open(const Url& url, const MetaStoreOptions& options);

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return describe_; }

 private:
  PostgresMetaStore(std::shared_ptr<PgPool> pool, const std::string& schema, Clock* clock);

  Result<int64_t> TryCommit(const Txn& txn);
  Status CheckCompares(const Txn& txn, const std::vector<PgResult>& results);
  std::vector<PgStatement> OpStatements(const Txn& txn, int64_t revision) const;

  const std::shared_ptr<PgPool> pool_;
  const std::shared_ptr<const PgSql> sql_;
  Clock* const clock_;
  const std::string describe_;
};

}  // namespace cairn
