// The user-facing scan: turns a merged internal-key stream into the newest visible
// version of each user key of one table in [from, to), skipping tombstones.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sst/iterator.h"
#include "storage/cluster.h"
#include "storage/version.h"

namespace cairn {

// `version` is held so that the SSTs the iterator reads stay referenced. `cancelled`
// (may be empty) is polled every kScanCancelCheckEntries merged entries stepped over;
// once true the scan stops: !Valid(), status() Aborted.
std::unique_ptr<ScanIterator> NewUserScanIterator(std::unique_ptr<sst::Iterator> merged,
                                                  std::shared_ptr<const Version> version,
                                                  uint32_t table_id, std::string from,
                                                  std::string to, uint64_t read_epoch,
                                                  std::function<bool()> cancelled = {});

}  // namespace cairn
