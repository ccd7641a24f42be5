// Copying SSTs between the cluster's object store and backup storage (`backup create
// --copy-data`, restore into an empty object store, `backup verify --deep`, freeing
// copies; docs/backup-format.md "Copied SSTs"). Every byte goes through the ObjectStore
// interface (so an encrypting wrapper around backup storage applies), streamed in 4 MiB
// pieces through ObjectStore::NewWriter (multipart on S3), hashed with xxhash64 on the
// way, and create-only: a copy never replaces an object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "backup/manifest.h"
#include "backup/sst_copy_list.h"
#include "backup/verify.h"
#include "common/result.h"
#include "object_store/object_store.h"

namespace cairn {

// Live progress of a copy (read by metrics and the CLI while it runs).
struct CopyProgress {
  std::atomic<uint64_t> ssts_total{0}, ssts_done{0}, bytes_total{0}, bytes_done{0};
  void Reset(uint64_t ssts, uint64_t bytes) {
    ssts_total = ssts, bytes_total = bytes, ssts_done = 0, bytes_done = 0;
  }
};

struct CopyOptions {
  int threads = 4;                   // SSTs copied at once (1: in order, on the caller's thread)
  CopyProgress* progress = nullptr;  // may be null
};

// What a backup-side copy did.
struct CopyStats {
  uint64_t copied_ssts = 0, copied_bytes = 0;    // written by this call
  uint64_t adopted_ssts = 0, adopted_bytes = 0;  // left by a failed earlier run, verified
  uint64_t reused_ssts = 0;                      // listed by an earlier backup
};

// Streams `from`/`from_key` (`size` bytes) to `to`/`to_key` (create-only), hashing the
// bytes. With `expected_checksum`, a mismatch aborts the writer (nothing is published)
// and is Corruption naming `from_key`; a short or long object is Corruption too.
// Returns the xxhash64 of the bytes.
Result<uint64_t> StreamCopy(ObjectStore* from, const std::string& from_key, ObjectStore* to,
                            const std::string& to_key, uint64_t size,
                            const uint64_t* expected_checksum, CopyProgress* progress = nullptr);
// The xxhash64 of `key` (`size` bytes), streamed; Corruption when its size differs.
Result<uint64_t> HashObject(ObjectStore* store, const std::string& key, uint64_t size,
                            CopyProgress* progress = nullptr);

// Backup side: makes backup storage hold sst/<id>.sst for every SST in `ssts` (a cut's
// SSTs with their recorded sizes) and returns their copy list (ascending id). `known` is
// the copy list of an earlier backup: an SST it names that backup storage lists with the
// same size is not copied again. A copy listed but not known (left by a failed run) is
// adopted when its hash equals the source's, else replaced. Stops at the first error
// (copies already written stay, for the next run to adopt; the caller publishes nothing).
Result<std::vector<SstCopy>> CopySstsToBackup(ObjectStore* objects, ObjectStore* backups,
                                              const std::vector<SnapshotSst>& ssts,
                                              const std::vector<SstCopy>& known,
                                              const CopyOptions& options, CopyStats* stats);

// Restore side, into `objects`: which of `ssts` it lacks, and copying them back.
struct CopyBackReport {
  uint64_t present = 0;  // already in the object store (a rerun skips them)
  uint64_t missing = 0;  // copied (or, in a dry run, to copy) from backup storage
  uint64_t bytes = 0;    // their bytes
};
// Lists data/ once. SSTs present (any size: VerifySsts judges sizes) are skipped.
// Missing ones must all be in `copies` (else NotFound: "N of M SSTs are missing from
// object store X and backup B has no copy of them", before anything is written), and
// backup storage must list every needed copy with its recorded size (else Corruption
// naming up to 5, before anything is written). Unless `dry_run`, then copies them
// (`options.threads` at a time), each verified against its recorded xxhash64 before it
// is published. On Corruption (a damaged copy) the SSTs this call wrote are deleted
// again; on other errors they stay (a rerun skips them).
Result<CopyBackReport> CopySstsBack(ObjectStore* backups, ObjectStore* objects,
                                    const std::vector<SnapshotSst>& ssts,
                                    const std::vector<SstCopy>& copies, const std::string& what,
                                    bool dry_run, const CopyOptions& options);

// Restore's step before VerifySsts: makes `objects` hold every SST of `ssts` (what the
// restored state references). A self-contained `entry`: CopySstsBack from its copy list
// (read and checked against the entry). A reference-only one: nothing is copied; a
// NotFound from VerifySsts is the caller's to explain (ReferenceOnlyMissing).
Result<CopyBackReport> RestoreSstCopies(BackupStorage* backups, ObjectStore* objects,
                                        const SnapshotEntry& entry,
                                        const std::vector<SnapshotSst>& ssts, bool dry_run,
                                        const CopyOptions& options);
// VerifySsts' NotFound for a restore from the reference-only backup `entry`, saying so.
Status ReferenceOnlyMissing(const SnapshotEntry& entry, const Status& missing);

// backup verify: backup storage lists every copy with its recorded size (one listing);
// with `deep`, every copy is read and its xxhash64 compared. Corruption naming up to 5
// damaged copies; NotFound naming missing ones.
struct CopyVerifyStats {
  uint64_t checked = 0, bytes_read = 0;
};
Status VerifyCopies(
    ObjectStore* backups, const std::vector<SstCopy>& copies, bool deep,
    const std::function<Status(uint64_t done, uint64_t total, uint64_t bytes)>& progress,
    CopyVerifyStats* stats);

// The ids of every copy the self-contained backups of `manifest` list (reads each list).
Result<std::unordered_set<uint64_t>> NeededCopies(ObjectStore* backups, const Manifest& manifest);

// Deletes the copies of `freed` that `needed` does not hold. Returns how many it deleted.
Result<uint64_t> DeleteUnneededCopies(ObjectStore* backups, const std::vector<SstCopy>& freed,
                                      const std::unordered_set<uint64_t>& needed);

// Orphan purge: deletes copy lists no entry of `manifest` references and copies no
// listed backup needs, both only when older than `cutoff_ms` (a running or failed
// backup's copies are younger). Returns the objects deleted.
Result<uint64_t> PurgeCopyOrphans(ObjectStore* backups, const Manifest& manifest,
                                  int64_t cutoff_ms);

}  // namespace cairn
