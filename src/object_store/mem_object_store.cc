#include "object_store/mem_object_store.h"

#include <map>
#include <mutex>

#include "common/clock.h"

namespace cairn {
namespace {

struct MemObject {
  // Shared so that a reader copies the bytes outside the lock while a writer replaces
  // the object: the reader keeps the version it found.
  std::shared_ptr<const std::string> data;
  int64_t mtime_ms = 0;
};

// The objects of one named store, shared by every store opened with that name.
struct MemObjects {
  std::mutex mu;
  std::map<std::string, MemObject, std::less<>> objects;

  // Stores the object; with kCreateOnly only if `key` is free. False when it was not.
  bool Put(std::string_view key, std::string data, int64_t mtime_ms, WriteMode mode) {
    MemObject object{std::make_shared<const std::string>(std::move(data)), mtime_ms};
    std::lock_guard lock(mu);
    if (mode == WriteMode::kCreateOnly) {
      return objects.try_emplace(std::string(key), std::move(object)).second;
    }
    objects.insert_or_assign(std::string(key), std::move(object));
    return true;
  }
};

class MemRegistry {
 public:
  static MemRegistry& Get() {
    static MemRegistry* registry = new MemRegistry();  // never destroyed: no exit-order issues
    return *registry;
  }

  std::shared_ptr<MemObjects> Open(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& slot = stores_[name];
    if (!slot) slot = std::make_shared<MemObjects>();
    return slot;
  }

  void Drop(std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = stores_.find(name);
    if (it != stores_.end()) stores_.erase(it);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<MemObjects>, std::less<>> stores_;
};

class MemObjectWriter final : public ObjectWriter {
 public:
  MemObjectWriter(std::shared_ptr<MemObjects> objects, std::string_view key, WriteMode mode,
                  std::string store, Clock* clock)
      : objects_(std::move(objects)),
        key_(key),
        mode_(mode),
        store_(std::move(store)),
        clock_(clock) {}

  Status Append(std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(CheckOpen());
    data_.append(data);
    bytes_written_ += data.size();
    return Status::OK();
  }

  Status Finish() override {
    CAIRN_RETURN_IF_ERROR(CheckOpen());
    closed_ = true;
    if (!objects_->Put(key_, std::move(data_), clock_->NowMillis(), mode_)) {
      return ObjectExistsError(key_, store_);
    }
    return Status::OK();
  }

  void Abort() override {
    closed_ = true;
    std::string().swap(data_);
  }

  uint64_t bytes_written() const override { return bytes_written_; }

 private:
  Status CheckOpen() const {
    if (!closed_) return Status::OK();
    return Status::InvalidArgument("writer for object " + QuoteObjectKey(key_) +
                                   " is already finished or aborted");
  }

  std::shared_ptr<MemObjects> objects_;
  std::string key_;
  WriteMode mode_;
  std::string store_;  // DescribeForLog() of the store, for AlreadyExists
  Clock* clock_;
  std::string data_;
  uint64_t bytes_written_ = 0;
  bool closed_ = false;
};

class MemObjectStore final : public ObjectStore {
 public:
  MemObjectStore(std::string name, std::shared_ptr<MemObjects> objects, Clock* clock)
      : name_(std::move(name)), objects_(std::move(objects)), clock_(clock) {}

  using ObjectStore::NewWriter;

  Status Put(std::string_view key, std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
    objects_->Put(key, std::string(data), clock_->NowMillis(), WriteMode::kOverwrite);
    return Status::OK();
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
    if (!objects_->Put(key, std::string(data), clock_->NowMillis(), WriteMode::kCreateOnly)) {
      return ObjectExistsError(key, DescribeForLog());
    }
    return Status::OK();
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key, WriteMode mode) override {
    CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
    return std::unique_ptr<ObjectWriter>(
        std::make_unique<MemObjectWriter>(objects_, key, mode, DescribeForLog(), clock_));
  }

  Result<std::string> Get(std::string_view key) override { return GetRange(key, 0, UINT64_MAX); }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    CAIRN_ASSIGN_OR_RETURN(MemObject object, Find(key));
    const std::string& data = *object.data;
    if (offset >= data.size()) return std::string();
    return data.substr(offset, std::min<uint64_t>(length, data.size() - offset));
  }

  Result<ObjectMeta> Head(std::string_view key) override {
    CAIRN_ASSIGN_OR_RETURN(MemObject object, Find(key));
    return ObjectMeta{std::string(key), object.data->size(), object.mtime_ms};
  }

  Status Delete(std::string_view key) override {
    CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
    std::lock_guard lock(objects_->mu);
    auto it = objects_->objects.find(key);
    if (it != objects_->objects.end()) objects_->objects.erase(it);
    return Status::OK();
  }

  Result<ListPage> List(std::string_view prefix, std::string_view token, size_t limit) override {
    if (limit == 0) return Status::InvalidArgument("list limit must be > 0");
    ListPage page;
    std::lock_guard lock(objects_->mu);
    auto& objects = objects_->objects;
    auto it = token.empty() ? objects.lower_bound(prefix) : objects.upper_bound(token);
    if (it != objects.end() && it->first < prefix) it = objects.lower_bound(prefix);
    for (; it != objects.end() && it->first.starts_with(prefix); ++it) {
      if (page.objects.size() == limit) {
        page.next_token = page.objects.back().key;
        break;
      }
      page.objects.push_back(ObjectMeta{it->first, it->second.data->size(), it->second.mtime_ms});
    }
    return page;
  }

  std::string DescribeForLog() const override { return "mem://" + name_; }

 private:
  Result<MemObject> Find(std::string_view key) {
    CAIRN_RETURN_IF_ERROR(ValidateObjectKey(key));
    std::lock_guard lock(objects_->mu);
    auto it = objects_->objects.find(key);
    if (it == objects_->objects.end()) {
      return Status::NotFound("object " + QuoteObjectKey(key) + " not found in " +
                              DescribeForLog());
    }
    return it->second;
  }

  const std::string name_;
  const std::shared_ptr<MemObjects> objects_;
  Clock* const clock_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenMemObjectStore(const Url& url,
                                                        const ObjectStoreOptions& options) {
  std::string name = url.host + url.path;
  if (name.empty()) {
    return Status::InvalidArgument("invalid URL '" + url.Redacted() +
                                   "': mem URLs need a name, e.g. mem://test");
  }
  Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Default();
  return std::unique_ptr<ObjectStore>(
      std::make_unique<MemObjectStore>(name, MemRegistry::Get().Open(name), clock));
}

void DropMemObjectStore(std::string_view name) { MemRegistry::Get().Drop(name); }

}  // namespace cairn
