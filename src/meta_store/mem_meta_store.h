// MemMetaStore: `mem://name`, an in-memory multi-version store for tests. Each key
// keeps the versions that a live snapshot may still read; a snapshot reads as of its
// revision. Stores are kept in a process-wide registry by name, so closing and
// reopening `mem://name` sees the same data (an empty name gives a private store).
#pragma once

#include <memory>
#include <string>

#include "common/url.h"
#include "meta_store/meta_store.h"

namespace cairn {

struct MemData;

class MemMetaStore final : public MetaStore {
 public:
  static Result<std::unique_ptr<MetaStore>> Open(const Url& url);
  // Forgets the named store (its data goes away once no open store uses it).
  static void Drop(const std::string& name);

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return "mem://" + name_; }

 private:
  MemMetaStore(std::string name, std::shared_ptr<MemData> data)
      : name_(std::move(name)), data_(std::move(data)) {}

  const std::string name_;
  const std::shared_ptr<MemData> data_;
};

}  // namespace cairn
