// A simulated server process's connections to the shared stores. Killing the process
// kills its links: every later call fails as if the process were gone, so destructors
// that still talk to a store (WriterLease::~WriterLease releases the lease) cannot
// act for a dead process. A crash point arms a countdown over every call of the
// process (meta and object alike): the call it reaches either fails before it reaches
// the store or is applied and then the process dies (the caller never learns).
// Each link also chooses between the fault-injecting and the clean path to the store,
// so that the simulator can let a process retry without faults (every crash must leave
// a state from which restart or restore succeeds once the faults stop).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn::sim {

class LinkState {
 public:
  enum class Gate { kPass, kFail, kApplyThenFail };

  // Decides the fate of one call.
  Gate Next();
  void Kill();
  bool dead() const;
  // The process dies at its `ops`-th call from now (0 = the next one).
  void ArmCrash(int64_t ops, bool after_apply);
  void Disarm();
  bool crashed_mid_op() const;
  void set_faults(bool on);
  bool faults() const;

 private:
  mutable std::mutex mu_;
  bool dead_ = false;
  bool faults_ = true;
  int64_t countdown_ = -1;
  bool after_apply_ = false;
  bool crashed_mid_op_ = false;
};

Status DeadProcessError(std::string_view what);

class ProcessMetaLink final : public MetaStore {
 public:
  ProcessMetaLink(MetaStore* faulty, MetaStore* clean, std::shared_ptr<LinkState> state)
      : faulty_(faulty), clean_(clean), state_(std::move(state)) {}

  Result<std::unique_ptr<MetaSnapshot>> Snapshot() override;
  Result<int64_t> Commit(const Txn& txn) override;
  std::string DescribeForLog() const override { return clean_->DescribeForLog(); }
  TxnLimits BulkTxnLimits() const override { return clean_->BulkTxnLimits(); }

 private:
  MetaStore* target() const { return state_->faults() ? faulty_ : clean_; }

  MetaStore* const faulty_;
  MetaStore* const clean_;
  const std::shared_ptr<LinkState> state_;
};

class ProcessObjectLink final : public ObjectStore {
 public:
  ProcessObjectLink(ObjectStore* faulty, ObjectStore* clean, std::shared_ptr<LinkState> state)
      : faulty_(faulty), clean_(clean), state_(std::move(state)) {}

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override;
  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectMeta> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override;
  std::string DescribeForLog() const override { return clean_->DescribeForLog(); }

 private:
  ObjectStore* target() const { return state_->faults() ? faulty_ : clean_; }

  ObjectStore* const faulty_;
  ObjectStore* const clean_;
  const std::shared_ptr<LinkState> state_;
};

}  // namespace cairn::sim
