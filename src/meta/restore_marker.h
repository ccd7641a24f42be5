// The restore-in-progress marker (docs/backup-format.md "Crash-safe restore"): the first
// transaction of a restore writes keys::kRestoreMarker into the target meta store, the
// last one deletes it. A meta store that still has it holds a half-written restore: a
// server refuses to start on it, and a new restore may replace it without --overwrite.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "meta_store/meta_store.h"

namespace cairn {

// The marker put op; `what` says what is being restored ("snapshot 3 from s3://...").
Op PutRestoreMarker(const std::string& what);
Op DeleteRestoreMarker();

// The marker's text when present.
Result<std::optional<std::string>> ReadRestoreMarker(MetaStore* store);

// FailedPrecondition "restore into <store> did not finish (<what>); rerun cairn restore"
// when the marker is present.
Status CheckNoUnfinishedRestore(MetaStore* store);

}  // namespace cairn
