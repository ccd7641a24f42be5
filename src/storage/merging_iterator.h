// MergingIterator: the union of several sorted internal-key iterators, in order.
// A binary min-heap over the valid children, each with its current key cached, so a
// step costs one child Next and O(log n) key comparisons (a scan merges every L0 SST
// plus one lazy iterator per deeper level). Equal keys come out in child order (the
// earlier child first). An error in any child stops the merge (!Valid, status() set):
// skipping its entries could surface an older version of a key.
#pragma once

#include <memory>
#include <vector>

#include "sst/iterator.h"

namespace cairn {

std::unique_ptr<sst::Iterator> NewMergingIterator(
    std::vector<std::unique_ptr<sst::Iterator>> children);

}  // namespace cairn
