// The stores of one simulated world, shared by every process of a seed: the cluster's
// object store, backup storage and the meta store(s), each a named mem:// store with
// the seed's fault injectors on top (fault_plan.h). The recording store sits on the
// object store's base (below the faults), so it sees what really happened.
//
//   process link -> faults (one injector per kind, so each is counted) -> base
//
// Meta stores come in generations: losing the meta store, or restoring into a fresh
// one, makes a new generation; old ones stay open until the end of the seed (a zombie
// server may still hold one).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "meta_store/fault_meta_store.h"
#include "meta_store/meta_store.h"
#include "object_store/fault_object_store.h"
#include "sim/coverage.h"
#include "sim/fault_plan.h"
#include "sim/recording_object_store.h"

namespace cairn::sim {

// base <- put faults <- read faults <- list faults <- delete faults
struct ObjectChain {
  std::unique_ptr<FaultInjectingObjectStore> put, get, list, del;
  ObjectStore* top = nullptr;

  void Build(ObjectStore* base, const ObjectFaults& faults, Random* rng, Clock* clock);
  void CountFaults(const std::string& prefix, Coverage* coverage) const;
};

struct MetaGeneration {
  int number = 0;
  std::string name;  // mem registry name
  std::string url;
  std::unique_ptr<MetaStore> clean;   // a handle on the base store
  std::unique_ptr<MetaStore> faulty;  // before-apply <- ack-lost <- read faults <- base
  FaultMetaStore* before = nullptr;
  FaultMetaStore* after = nullptr;
  FaultMetaStore* read = nullptr;
};

class SimStores {
 public:
  SimStores(uint64_t seed, Clock* clock, Random* rng, const FaultPlan& plan);
  ~SimStores();
  SimStores(const SimStores&) = delete;
  SimStores& operator=(const SimStores&) = delete;

  RecordingObjectStore* data_base() { return data_base_; }
  ObjectStore* data_faulty() { return data_.top; }
  ObjectStore* backup_base() { return backup_base_.get(); }
  ObjectStore* backup_faulty() { return backup_.top; }
  const std::string& backup_url() const { return backup_url_; }

  MetaGeneration* meta() { return current_; }
  // A new, empty meta store (with its own fault injectors); not current until Use().
  MetaGeneration* NewMeta();
  void Use(MetaGeneration* generation) { current_ = generation; }
  // Another handle on a generation's base store (for a one-off fault wrapper).
  std::unique_ptr<MetaStore> OpenHandle(const MetaGeneration& generation);
  // A scratch meta store for the oracle's restores; Release() drops it.
  std::unique_ptr<MetaStore> OpenScratch(std::string* name);
  static void Release(const std::string& name);

  void CountFaults(Coverage* coverage) const;

 private:
  const uint64_t seed_;
  Clock* const clock_;
  Random* const rng_;
  const FaultPlan plan_;
  std::string data_name_, backup_name_, backup_url_;
  RecordingObjectStore* data_base_ = nullptr;  // owned by data_owner_
  std::unique_ptr<ObjectStore> data_owner_;
  std::unique_ptr<ObjectStore> backup_base_;
  ObjectChain data_, backup_;
  std::vector<std::unique_ptr<MetaGeneration>> metas_;
  MetaGeneration* current_ = nullptr;
  int scratch_ = 0;
};

}  // namespace cairn::sim
