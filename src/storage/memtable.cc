#include "storage/memtable.h"

#include <cstring>

#include "common/coding.h"

namespace cairn {
namespace {

constexpr size_t kHeader = 4 + 4 + 8 + 1;
// A node's links: on average 4/3, plus alignment.
constexpr size_t kNodeBytes = 16;

struct Entry {
  std::string_view user_part;
  std::string_view value;
  uint64_t write = 0;
  sst::ValueKind kind = sst::ValueKind::kPut;
};

Entry Decode(const char* p) {
  Entry e;
  uint32_t key_size = DecodeFixed32(p);
  uint32_t value_size = DecodeFixed32(p + 4);
  e.write = DecodeFixed64(p + 8);
  e.kind = static_cast<sst::ValueKind>(p[16]);
  e.user_part = std::string_view(p + kHeader, key_size);
  e.value = std::string_view(p + kHeader + key_size, value_size);
  return e;
}

std::string_view UserPartOf(const char* p) {
  return std::string_view(p + kHeader, DecodeFixed32(p));
}

void EncodeFixed32To(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void EncodeFixed64To(char* p, uint64_t v) { std::memcpy(p, &v, 8); }

}  // namespace

int Memtable::EntryCompare::operator()(const char* a, const char* b) const {
  if (int c = UserPartOf(a).compare(UserPartOf(b)); c != 0) return c;
  uint64_t wa = DecodeFixed64(a + 8), wb = DecodeFixed64(b + 8);
  return wa > wb ? -1 : wa < wb ? 1 : 0;  // later writes first
}

Memtable::Memtable(uint64_t epoch) : epoch_(epoch), table_(EntryCompare{}, &arena_) {}

void Memtable::Add(std::string_view user_part, sst::ValueKind kind, std::string_view value) {
  size_t size = kHeader + user_part.size() + value.size();
  char* p = table_.AllocateKey(size);
  EncodeFixed32To(p, static_cast<uint32_t>(user_part.size()));
  EncodeFixed32To(p + 4, static_cast<uint32_t>(value.size()));
  EncodeFixed64To(p + 8, writes_.load(std::memory_order_relaxed) + 1);
  p[16] = static_cast<char>(kind);
  std::memcpy(p + kHeader, user_part.data(), user_part.size());
  if (!value.empty()) std::memcpy(p + kHeader + user_part.size(), value.data(), value.size());
  table_.Insert(p);
  writes_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size + kNodeBytes, std::memory_order_relaxed);
}

class MemtableIterator final : public sst::Iterator {
 public:
  explicit MemtableIterator(const Memtable* mem) : mem_(mem), it_(&mem->table_) {}

  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override {
    it_.SeekToFirst();
    Update();
  }
  void Seek(std::string_view target) override {
    // All entries share one epoch, so ordering by user part is enough; a target at the
    // same user part but an older epoch sorts after the entry.
    std::string_view user_part = sst::UserPart(target);
    SeekUserPart(user_part);
    if (Valid() && UserPartOf(it_.key()) == user_part &&
        sst::CompareInternalKeys(key_, target) < 0) {
      Next();
    }
  }
  void Next() override {
    // Skip the older writes of the current user part.
    std::string_view current = UserPartOf(it_.key());
    do {
      it_.Next();
    } while (it_.Valid() && UserPartOf(it_.key()) == current);
    Update();
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return Decode(it_.key()).value; }
  Status status() const override { return Status::OK(); }

 private:
  void SeekUserPart(std::string_view user_part) {
    // A probe entry with the largest write number sorts before every real entry of
    // `user_part`.
    probe_.assign(kHeader, '\0');
    EncodeFixed32To(probe_.data(), static_cast<uint32_t>(user_part.size()));
    EncodeFixed64To(probe_.data() + 8, UINT64_MAX);
    probe_.append(user_part);
    it_.Seek(probe_.data());
    Update();
  }
  void Update() {
    if (!Valid()) return;
    Entry e = Decode(it_.key());
    key_.clear();
    sst::AppendInternalKey(&key_, e.user_part, mem_->epoch_, e.kind);
  }

  const Memtable* mem_;
  Memtable::Table::Iterator it_;
  std::string key_;
  std::string probe_;
};

std::unique_ptr<sst::Iterator> Memtable::NewIterator() const {
  return std::make_unique<MemtableIterator>(this);
}

}  // namespace cairn
