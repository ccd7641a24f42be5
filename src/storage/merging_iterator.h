// MergingIterator: the union of several sorted internal-key iterators, in order.
// Children are few (L0 SSTs + L1 SSTs), so a linear minimum is as fast as a heap.
#pragma once

#include <memory>
#include <vector>

#include "sst/iterator.h"

namespace cairn {

std::unique_ptr<sst::Iterator> NewMergingIterator(
    std::vector<std::unique_ptr<sst::Iterator>> children);

}  // namespace cairn
