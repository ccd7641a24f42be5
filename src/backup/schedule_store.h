// The backup schedule as metadata: one key (keys::kBackupSchedule), written through
// MetaWriter, so every change is in the changelog and the schedule is in every backup.
#pragma once

#include <optional>

#include "backup/schedule_policy.h"
#include "meta/meta_writer.h"

namespace cairn {

// The stored schedule, or nullopt when none is set. Corruption for an unreadable record.
Result<std::optional<BackupSchedule>> LoadBackupSchedule(MetaStore* store);

// Validates (InvalidArgument, nothing written) and stores `schedule`.
Status SaveBackupSchedule(MetaWriter* writer, const BackupSchedule& schedule);

// Removes the schedule; NotFound when there is none.
Status ClearBackupSchedule(MetaWriter* writer);

}  // namespace cairn
