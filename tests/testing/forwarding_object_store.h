// ForwardingObjectStore: an ObjectStore that passes every call to `base`, for test
// stores that change a few calls (override those; base() is the store underneath).
// OpenReader and EncryptionKeyIdFor keep ObjectStore's defaults, so reads go through
// this store's GetRange.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "object_store/object_store.h"

namespace cairn::testing {

class ForwardingObjectStore : public ObjectStore {
 public:
  explicit ForwardingObjectStore(ObjectStore* base) : base_(base) {}
  using ObjectStore::NewWriter;

  Status Put(std::string_view k, std::string_view d) override { return base_->Put(k, d); }
  Status PutIfAbsent(std::string_view k, std::string_view d) override {
    return base_->PutIfAbsent(k, d);
  }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view k, WriteMode m) override {
    return base_->NewWriter(k, m);
  }
  Result<std::string> Get(std::string_view k) override { return base_->Get(k); }
  Result<std::string> GetRange(std::string_view k, uint64_t o, uint64_t n) override {
    return base_->GetRange(k, o, n);
  }
  Result<ObjectMeta> Head(std::string_view k) override { return base_->Head(k); }
  Status Delete(std::string_view k) override { return base_->Delete(k); }
  Result<ListPage> List(std::string_view p, std::string_view t, size_t n) override {
    return base_->List(p, t, n);
  }
  std::string DescribeForLog() const override { return base_->DescribeForLog(); }

 protected:
  ObjectStore* base() const { return base_; }

 private:
  ObjectStore* const base_;
};

}  // namespace cairn::testing
