// Bugs the simulator found in other modules, each as the seed that reproduces it with
// the simulator's workaround for it turned off (--strict-only NAME). They are DISABLED_
// until the owner fixes the bug; then enable the test (it passes once the seed runs
// clean). docs/simulation.md, "Findings", has the diagnosis and the proposed fix of each.
#include <gtest/gtest.h>

#include "meta_store/meta_store.h"
#include "object_store/object_store.h"
#include "sim/simulation.h"
#include "storage/cluster.h"

namespace cairn::sim {
namespace {

void ExpectClean(uint64_t seed, const std::string& strict) {
  SimOptions options;
  options.steps = kDefaultSteps;
  options.strict_only = {strict};
  SeedResult result = RunSeed(seed, options);
  EXPECT_FALSE(result.violation) << result.report;
}

// Finding 1: a server that lost its writer lease still uploads checkpoint SSTs from the
// object ids it had allocated before (storage/cluster_impl.cc AllocateObjectId serves
// its id pool without asking the fence).
TEST(SimFindings, DISABLED_FencedServerUploadsSsts) { ExpectClean(1, "zombie-upload"); }

// Finding 2: an object id whose object is gone is issued again after a restore (the
// lost meta store's unarchived allocations; see also finding 7).
TEST(SimFindings, DISABLED_DeadObjectIdReissuedAfterRestore) { ExpectClean(1816, "dead-id-reuse"); }

// Finding 3: a restore whose last commit applied but lost its ack, and whose cleanup
// failed, reports the target as marked unfinished; it is complete, and the promised rerun
// is refused (backup/restore_target.cc WriteRestoreTarget).
TEST(SimFindings, DISABLED_CompletedRestoreRefusesItsRerun) { ExpectClean(180, "rerun-refused"); }

// Finding 4: full vacuum after a commit whose ack was lost and whose reload failed
// deletes the committed SSTs as orphans (storage/cluster_vacuum.cc reads references
// from the engine's memory).
TEST(SimFindings, DISABLED_FullVacuumDeletesCommittedSstsAfterLostAck) {
  ExpectClean(247, "lagging-full-vacuum");
}

// Finding 5: after restores on different branches, vacuum deletes an SST that a listed
// backup of another branch references: pins (cut epoch, max id) are compared with a
// stale epoch of another history (meta/backup_pins.cc Protects, restore_target.cc pins).
TEST(SimFindings, PinsAcrossBranchesKeepListedBackups) { ExpectClean(1018, "cross-timeline-pins"); }

// Finding 7: restore --overwrite lowers the target's id generators (it never reads the
// target's own ids/ before clearing it; backup/restore_target.cc).
TEST(SimFindings, DISABLED_OverwriteRestoreLowersIdGenerators) {
  ExpectClean(1, "overwrite-lowers-ids");
}

// Finding 8: a backup create whose check for a lost manifest.json hits a read fault
// publishes a new manifest without the lost one's backups (backup/backup_service.cc).
TEST(SimFindings, BackupAfterLostManifestDropsBackups) { ExpectClean(6, "lost-manifest-create"); }

// Finding 6, without the simulator: a drop that the writer lease's fence refuses must
// fail, and the table must stay live. Today CommitCatalog (storage/cluster_ddl.cc) sees
// dropped_epoch 0 == 0 after its reload and reports OK.
TEST(SimFindings, DISABLED_DropRefusedByTheFenceFails) {
  ManualClock clock;
  ObjectStoreOptions object_options;
  object_options.clock = &clock;
  auto objects = std::move(OpenObjectStore("mem://findings-fenced-drop", object_options)).value();
  auto meta = std::move(OpenMetaStore("mem://findings-fenced-drop-meta")).value();
  MetaWriter writer(meta.get(), &clock);
  ASSERT_TRUE(writer.Open().ok());
  bool fenced = false;
  writer.SetFence([&] { return fenced ? Status::Busy("lease lost") : Status::OK(); });
  ClusterOptions options;
  options.clock = &clock;
  options.background_threads = false;
  auto cluster = std::move(Cluster::Open(&writer, objects.get(), options)).value();
  ASSERT_TRUE(cluster->CreateTable("t").ok());
  fenced = true;
  Status dropped = cluster->DropTable("t");
  EXPECT_FALSE(dropped.ok());
  fenced = false;
  auto tables = cluster->ListTables();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->size(), 1u) << "the refused drop must leave the table live";
}

// Finding 6 through the simulator (--strict-only fenced-drop) needs a lease that ages out
// while a drop runs; no seed of 1..3000 reaches it in this build, hence the engine test.

}  // namespace
}  // namespace cairn::sim
