#include "storage/clone_object_store.h"

#include <charconv>

#include "storage/storage_codec.h"

namespace cairn {
namespace {

// Listing tokens: "<layer index>:<that store's token>"; the own store is index
// layers.size().
std::string Token(size_t layer, std::string_view inner) {
  return std::to_string(layer) + ":" + std::string(inner);
}

bool CoversData(std::string_view prefix) {
  return prefix.starts_with(kSstObjectPrefix) || kSstObjectPrefix.starts_with(prefix);
}

}  // namespace

CloneObjectStore::CloneObjectStore(std::unique_ptr<ObjectStore> own, std::vector<Layer> layers)
    : own_(std::move(own)), layers_(std::move(layers)) {}

ObjectStore* CloneObjectStore::LayerOf(uint64_t id) const {
  if (detached_.load()) return nullptr;
  for (const auto& layer : layers_) {
    if (id < layer.below) return layer.store.get();
  }
  return nullptr;
}

bool CloneObjectStore::IsExternal(uint64_t id) const { return LayerOf(id) != nullptr; }

ObjectStore* CloneObjectStore::ExternalStore(std::string_view key) const {
  uint64_t id = 0;
  if (!ParseSstObjectKey(key, &id)) return nullptr;
  return LayerOf(id);
}

Status CloneObjectStore::RefuseWrite(std::string_view key) const {
  return Status::FailedPrecondition("object " + QuoteObjectKey(key) + " belongs to " +
                                    ExternalStore(key)->DescribeForLog() + ", the base of clone " +
                                    own_->DescribeForLog() +
                                    ": a clone never writes or deletes its base's objects");
}

Status CloneObjectStore::Put(std::string_view key, std::string_view data) {
  if (ExternalStore(key)) return RefuseWrite(key);
  return own_->Put(key, data);
}

Status CloneObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  if (ExternalStore(key)) return RefuseWrite(key);
  return own_->PutIfAbsent(key, data);
}

Result<std::unique_ptr<ObjectWriter>> CloneObjectStore::NewWriter(std::string_view key,
                                                                  WriteMode mode) {
  if (ExternalStore(key)) return RefuseWrite(key);
  return own_->NewWriter(key, mode);
}

Result<std::string> CloneObjectStore::Get(std::string_view key) {
  ObjectStore* store = ExternalStore(key);
  return (store ? store : own_.get())->Get(key);
}

Result<std::string> CloneObjectStore::GetRange(std::string_view key, uint64_t offset,
                                               uint64_t length) {
  ObjectStore* store = ExternalStore(key);
  return (store ? store : own_.get())->GetRange(key, offset, length);
}

Result<ObjectMeta> CloneObjectStore::Head(std::string_view key) {
  ObjectStore* store = ExternalStore(key);
  return (store ? store : own_.get())->Head(key);
}

Status CloneObjectStore::Delete(std::string_view key) {
  if (ExternalStore(key)) return RefuseWrite(key);
  return own_->Delete(key);
}

// One page of layer i: its SSTs with ids in [layers[i-1].below, layers[i].below). Keys
// are in id order, so the layer is done at the first id at or above its bound.
Result<ListPage> CloneObjectStore::ListLayer(size_t i, std::string_view prefix,
                                             std::string_view token, size_t limit) {
  const uint64_t from = i == 0 ? 0 : layers_[i - 1].below, below = layers_[i].below;
  CAIRN_ASSIGN_OR_RETURN(ListPage inner, layers_[i].store->List(prefix, token, limit));
  ListPage page;
  bool done = inner.next_token.empty();
  for (auto& m : inner.objects) {
    uint64_t id = 0;
    if (!ParseSstObjectKey(m.key, &id) || id < from) continue;
    if (id >= below) {
      done = true;
      break;
    }
    page.objects.push_back(std::move(m));
  }
  page.next_token = done ? Token(i + 1, "") : Token(i, inner.next_token);
  return page;
}

Result<ListPage> CloneObjectStore::List(std::string_view prefix, std::string_view token,
                                        size_t limit) {
  if (detached_.load() || layers_.empty() || !CoversData(prefix)) {
    return own_->List(prefix, token, limit);
  }
  size_t layer = 0;
  std::string_view inner;
  if (!token.empty()) {
    size_t colon = token.find(':');
    auto [end, ec] = std::from_chars(token.data(), token.data() + colon, layer);
    if (colon == std::string_view::npos || ec != std::errc() || layer > layers_.size()) {
      return Status::InvalidArgument("bad listing token for clone store " + DescribeForLog());
    }
    inner = token.substr(colon + 1);
  }
  if (layer < layers_.size()) return ListLayer(layer, prefix, inner, limit);
  CAIRN_ASSIGN_OR_RETURN(ListPage page, own_->List(prefix, inner, limit));
  if (!page.next_token.empty()) page.next_token = Token(layers_.size(), page.next_token);
  return page;
}

}  // namespace cairn
