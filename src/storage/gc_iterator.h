// GcIterator: the MVCC garbage collection applied while compacting (docs/storage.md).
// Over an internal-key stream it keeps, per user key, every version newer than the
// retention watermark plus the newest version at or below it; it drops that version
// too when it is a tombstone and no older version of the key can exist outside the
// inputs (older_may_exist says false: nothing below the output level holds it), and
// drops all data of tables that were dropped before the watermark.
// Forward-only: SeekToFirst and Next.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "sst/iterator.h"

namespace cairn {

struct GcOptions {
  uint64_t watermark = 0;  // epochs <= watermark are outside the retention window
  // Whether versions of this user part may exist below the output level; nullptr = no.
  std::function<bool(std::string_view user_part)> older_may_exist;
  // True when every version of this table may be dropped.
  std::function<bool(uint32_t table_id)> table_gone;
};

std::unique_ptr<sst::Iterator> NewGcIterator(std::unique_ptr<sst::Iterator> input,
                                             GcOptions options);

}  // namespace cairn
