#include "sim/stores.h"

#include "meta_store/mem_meta_store.h"
#include "object_store/mem_object_store.h"

namespace cairn::sim {
namespace {

std::unique_ptr<FaultInjectingObjectStore> Injector(ObjectStore* below, std::vector<ObjectOp> ops,
                                                    uint32_t before_ppm, uint32_t after_ppm,
                                                    Random* rng, Clock* clock) {
  auto store = std::make_unique<FaultInjectingObjectStore>(below, rng->Next(), clock);
  store->SetFaultyOps(std::move(ops));
  store->SetFailureRate(before_ppm / 1e6, after_ppm / 1e6);
  return store;
}

std::unique_ptr<ObjectStore> OpenMem(const std::string& name, Clock* clock) {
  ObjectStoreOptions options;
  options.clock = clock;  // object mtimes on the simulated clock (vacuum_min_age, purge)
  auto store = OpenObjectStore("mem://" + name, options);
  return std::move(store).value();
}

}  // namespace

void ObjectChain::Build(ObjectStore* base, const ObjectFaults& f, Random* rng, Clock* clock) {
  put = Injector(base, {ObjectOp::kPut, ObjectOp::kNewWriter, ObjectOp::kAppend, ObjectOp::kFinish},
                 f.put_before, f.put_after, rng, clock);
  get = Injector(put.get(), {ObjectOp::kGet, ObjectOp::kGetRange, ObjectOp::kHead}, f.get, 0, rng,
                 clock);
  list = Injector(get.get(), {ObjectOp::kList}, f.list, 0, rng, clock);
  del = Injector(list.get(), {ObjectOp::kDelete}, f.del / 2, f.del / 2, rng, clock);
  top = del.get();
}

void ObjectChain::CountFaults(const std::string& prefix, Coverage* coverage) const {
  for (const FaultEvent& e : put->events()) {
    coverage->Add(prefix +
                  (e.point == FaultPoint::kBeforeApply ? "put_before_apply" : "put_ack_lost"));
  }
  coverage->Add(prefix + "get", get->injected_failures());
  coverage->Add(prefix + "list", list->injected_failures());
  coverage->Add(prefix + "delete", del->injected_failures());
}

SimStores::SimStores(uint64_t seed, Clock* clock, Random* rng, const FaultPlan& plan)
    : seed_(seed), clock_(clock), rng_(rng), plan_(plan) {
  data_name_ = "sim" + std::to_string(seed) + "-data";
  backup_name_ = "sim" + std::to_string(seed) + "-backup";
  backup_url_ = "mem://" + backup_name_;
  auto recording = std::make_unique<RecordingObjectStore>(OpenMem(data_name_, clock));
  data_base_ = recording.get();
  data_owner_ = std::move(recording);
  backup_base_ = OpenMem(backup_name_, clock);
  data_.Build(data_base_, plan.data, rng, clock);
  backup_.Build(backup_base_.get(), plan.backup, rng, clock);
  current_ = NewMeta();
}

SimStores::~SimStores() {
  DropMemObjectStore(data_name_);
  DropMemObjectStore(backup_name_);
  for (const auto& m : metas_) MemMetaStore::Drop(m->name);
}

MetaGeneration* SimStores::NewMeta() {
  auto m = std::make_unique<MetaGeneration>();
  m->number = static_cast<int>(metas_.size()) + 1;
  m->name = "sim" + std::to_string(seed_) + "-meta" + std::to_string(m->number);
  m->url = "mem://" + m->name;
  m->clean = std::move(OpenMetaStore(m->url)).value();
  FaultOptions read;
  read.seed = rng_->Next();
  read.fail_snapshot_read_percent = plan_.meta_read_percent;
  read.compacted_read_percent = plan_.meta_compacted_percent;
  auto read_store = std::make_unique<FaultMetaStore>(OpenHandle(*m), read);
  m->read = read_store.get();
  FaultOptions after;
  after.seed = rng_->Next();
  after.fail_after_apply_percent = plan_.meta_after_percent;
  auto after_store = std::make_unique<FaultMetaStore>(std::move(read_store), after);
  m->after = after_store.get();
  FaultOptions before;
  before.seed = rng_->Next();
  before.fail_before_apply_percent = plan_.meta_before_percent;
  auto before_store = std::make_unique<FaultMetaStore>(std::move(after_store), before);
  m->before = before_store.get();
  m->faulty = std::move(before_store);
  metas_.push_back(std::move(m));
  return metas_.back().get();
}

std::unique_ptr<MetaStore> SimStores::OpenHandle(const MetaGeneration& generation) {
  return std::move(OpenMetaStore(generation.url)).value();
}

std::unique_ptr<MetaStore> SimStores::OpenScratch(std::string* name) {
  *name = "sim" + std::to_string(seed_) + "-scratch" + std::to_string(++scratch_);
  return std::move(OpenMetaStore("mem://" + *name)).value();
}

void SimStores::Release(const std::string& name) { MemMetaStore::Drop(name); }

void SimStores::CountFaults(Coverage* coverage) const {
  data_.CountFaults("fault.data.", coverage);
  backup_.CountFaults("fault.backup.", coverage);
  for (const auto& m : metas_) {
    coverage->Add("fault.meta.commit_before_apply", m->before->counters().injected);
    coverage->Add("fault.meta.commit_ack_lost", m->after->counters().injected);
    FaultCounters read = m->read->counters();
    coverage->Add("fault.meta.read", read.injected - read.compacted);
    coverage->Add("fault.meta.compacted", read.compacted);
  }
}

}  // namespace cairn::sim
