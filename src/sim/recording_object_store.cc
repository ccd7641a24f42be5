#include "sim/recording_object_store.h"

#include <xxhash.h>

#include "storage/storage_codec.h"

namespace cairn::sim {
namespace {

class RecordingWriter final : public ObjectWriter {
 public:
  RecordingWriter(RecordingObjectStore* store, ObjectStore* base,
                  std::unique_ptr<ObjectWriter> writer, std::string_view key)
      : store_(store), base_(base), writer_(std::move(writer)), key_(key) {}

  Status Append(std::string_view data) override {
    Status s = writer_->Append(data);
    if (s.ok()) data_.append(data);
    return s;
  }
  Status Finish() override {
    bool existed = base_->Head(key_).ok();
    Status s = writer_->Finish();
    if (s.ok()) store_->Created(key_, data_, existed);
    return s;
  }
  void Abort() override { writer_->Abort(); }
  uint64_t bytes_written() const override { return writer_->bytes_written(); }

 private:
  RecordingObjectStore* store_;
  ObjectStore* base_;
  std::unique_ptr<ObjectWriter> writer_;
  std::string key_;
  std::string data_;
};

}  // namespace

void RecordingObjectStore::set_step(int step) {
  std::lock_guard lock(mu_);
  step_ = step;
}

std::vector<ObjectEvent> RecordingObjectStore::TakeEvents() {
  std::lock_guard lock(mu_);
  std::vector<ObjectEvent> out;
  out.swap(events_);
  return out;
}

std::map<uint64_t, SstObjectRecord> RecordingObjectStore::ssts() const {
  std::lock_guard lock(mu_);
  return ssts_;
}

void RecordingObjectStore::Created(std::string_view key, std::string_view data, bool existed) {
  uint64_t id = 0;
  if (!ParseSstObjectKey(key, &id)) return;
  std::lock_guard lock(mu_);
  auto it = ssts_.find(id);
  if (it != ssts_.end()) {
    events_.push_back({existed ? ObjectEvent::Kind::kOverwritten : ObjectEvent::Kind::kRecreated,
                       id, step_, it->second.created_step, it->second.deleted_step});
  } else {
    events_.push_back({ObjectEvent::Kind::kCreated, id, step_});
  }
  SstObjectRecord& r = ssts_[id];
  r.checksum = XXH64(data.data(), data.size(), 0);
  r.size = data.size();
  r.created_step = step_;
  r.live = true;
  r.deleted_step = -1;
}

Status RecordingObjectStore::Put(std::string_view key, std::string_view data) {
  bool existed = base_->Head(key).ok();
  Status s = base_->Put(key, data);
  if (s.ok()) Created(key, data, existed);
  return s;
}

Status RecordingObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  Status s = base_->PutIfAbsent(key, data);
  if (s.ok()) Created(key, data, false);
  return s;
}

Result<std::unique_ptr<ObjectWriter>> RecordingObjectStore::NewWriter(std::string_view key,
                                                                      WriteMode mode) {
  CAIRN_ASSIGN_OR_RETURN(auto writer, base_->NewWriter(key, mode));
  return std::unique_ptr<ObjectWriter>(
      std::make_unique<RecordingWriter>(this, base_.get(), std::move(writer), key));
}

Status RecordingObjectStore::Delete(std::string_view key) {
  bool existed = base_->Head(key).ok();
  Status s = base_->Delete(key);
  uint64_t id = 0;
  if (s.ok() && existed && ParseSstObjectKey(key, &id)) {
    std::lock_guard lock(mu_);
    SstObjectRecord& r = ssts_[id];
    r.live = false;
    r.deleted_step = step_;
    events_.push_back({ObjectEvent::Kind::kDeleted, id, step_});
  }
  return s;
}

}  // namespace cairn::sim
