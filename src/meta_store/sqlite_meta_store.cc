#include "meta_store/sqlite_meta_store.h"

#include <filesystem>

#include "common/clock.h"
#include "meta_store/sqlite_schema.h"
#include "meta_store/store_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// How often BEGIN IMMEDIATE is retried after SQLite's own busy wait gave up (another
// process held the write lock for the whole busy timeout).
constexpr int kBusyRetries = 5;
constexpr int64_t kBusyRetrySleepMillis = 100;

// Clear errors for paths SQLite would only call "unable to open database file".
Status CheckPath(const std::string& path) {
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  auto parent_status = fs::status(parent, ec);
  if (!fs::exists(parent_status)) {
    return Status::InvalidArgument("sqlite meta store " + path + ": directory " + parent.string() +
                                   " does not exist");
  }
  if (!fs::is_directory(parent_status)) {
    return Status::InvalidArgument("sqlite meta store " + path + ": " + parent.string() +
                                   " is not a directory");
  }
  if (fs::is_directory(fs::status(path, ec))) {
    return Status::InvalidArgument("sqlite meta store " + path +
                                   " is a directory, expected a database file");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<MetaStore>> SqliteMetaStore::Open(const Url& url,
                                                         const MetaStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(std::string path, url.AbsolutePath());
  CAIRN_RETURN_IF_ERROR(CheckPath(path));
  std::error_code ec;
  if (!options.create_if_missing && !fs::exists(path, ec)) {
    return Status::NotFound("sqlite meta store " + path + " does not exist");
  }
  CAIRN_ASSIGN_OR_RETURN(auto writer, SqliteConn::Open(path, /*create=*/true));
  CAIRN_RETURN_IF_ERROR(sqlite_meta::InitSchema(writer.get()));
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  return std::unique_ptr<MetaStore>(new SqliteMetaStore(path, clock, std::move(writer)));
}

SqliteMetaStore::SqliteMetaStore(std::string path, Clock* clock, std::unique_ptr<SqliteConn> writer)
    : path_(std::move(path)),
      clock_(clock),
      writer_(std::move(writer)),
      readers_(std::make_shared<SqliteReaderPool>(path_)) {}

Result<std::unique_ptr<MetaSnapshot>> SqliteMetaStore::Snapshot() {
  return SqliteSnapshot::Begin(readers_);
}

Result<int64_t> SqliteMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(ValidateTxn(txn));
  std::lock_guard lock(write_mu_);
  CAIRN_RETURN_IF_ERROR(BeginWrite());
  auto revision = ApplyInWriteTxn(txn);
  Status status = revision.ok() ? writer_->Exec("COMMIT") : revision.status();
  if (!status.ok()) {
    // The original error is what the caller needs; a failed rollback leaves nothing
    // committed either.
    (void)writer_->Exec("ROLLBACK");
    return status;
  }
  return revision;
}

Status SqliteMetaStore::BeginWrite() {
  Status begun;
  for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
    begun = writer_->Exec("BEGIN IMMEDIATE");
    if (begun.code() != ErrorCode::kBusy) return begun;
    clock_->SleepMillis(kBusyRetrySleepMillis);
  }
  return begun;
}

Result<int64_t> SqliteMetaStore::ApplyInWriteTxn(const Txn& txn) {
  for (const Compare& compare : txn.compares) {
    CAIRN_ASSIGN_OR_RETURN(auto current, sqlite_meta::ReadKey(writer_.get(), compare.key));
    CAIRN_RETURN_IF_ERROR(EvaluateCompare(compare, current));
  }
  CAIRN_ASSIGN_OR_RETURN(int64_t revision, sqlite_meta::ReadRevision(writer_.get()));
  if (txn.ops.empty()) return revision;
  ++revision;
  for (const Op& op : txn.ops) {
    CAIRN_RETURN_IF_ERROR(sqlite_meta::WriteOp(writer_.get(), op, revision));
  }
  CAIRN_RETURN_IF_ERROR(sqlite_meta::WriteRevision(writer_.get(), revision));
  return revision;
}

}  // namespace cairn
