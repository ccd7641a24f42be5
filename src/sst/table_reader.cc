#include "sst/table_reader.h"

#include <algorithm>
#include <new>

#include "sst/bloom.h"

namespace cairn::sst {
namespace {

// True when block `h` (payload + trailer) lies inside [begin, end). Computed without
// overflow: the handles come from the object, and a sum that wraps must not pass.
bool BlockInside(const BlockHandle& h, uint64_t begin, uint64_t end) {
  return h.offset >= begin && h.offset <= end && h.size <= end - h.offset &&
         kBlockTrailerSize <= end - h.offset - h.size;
}

}  // namespace

void TableReader::AlignedFree::operator()(char* p) const {
  ::operator delete[](p, std::align_val_t(kBloomLineBytes));
}

Result<std::shared_ptr<TableReader>> TableReader::Open(ObjectStore* store, std::string object_key,
                                                       uint64_t object_id, BlockCache* cache) {
  std::shared_ptr<TableReader> reader(
      new TableReader(store, std::move(object_key), object_id, cache));
  CAIRN_RETURN_IF_ERROR(reader->Load());
  return reader;
}

Status TableReader::Load() {
  auto head = store_->Head(key_);
  if (!head.ok()) {
    if (head.status().IsNotFound()) {
      return Status::NotFound("SST object " + key_ + " is missing from " +
                              store_->DescribeForLog());
    }
    return head.status().WithContext(What());
  }
  file_size_ = head->size;
  auto file = store_->OpenReader(key_);
  if (!file.ok()) {
    if (file.status().IsNotFound()) {
      return Status::NotFound("SST object " + key_ + " is missing from " +
                              store_->DescribeForLog());
    }
    return file.status().WithContext(What());
  }
  file_ = std::move(file).value();
  if (file_size_ < kFooterSize) {
    return Status::Corruption(What() + ": truncated (" + std::to_string(file_size_) + " bytes)");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string footer_bytes,
                         file_->Read(file_size_ - kFooterSize, kFooterSize));
  CAIRN_ASSIGN_OR_RETURN(Footer footer, DecodeFooter(footer_bytes, What()));

  // Filter, properties and index are written back to back just before the footer.
  uint64_t meta_begin = footer.filter.offset;
  uint64_t meta_end = file_size_ - kFooterSize;
  for (const BlockHandle* h : {&footer.filter, &footer.properties, &footer.index}) {
    if (!BlockInside(*h, meta_begin, meta_end)) {
      return Status::Corruption(What() + ": footer points outside the object");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::string meta, file_->Read(meta_begin, meta_end - meta_begin));
  if (meta.size() != meta_end - meta_begin) return Status::Corruption(What() + ": truncated");
  auto slice = [&](const BlockHandle& h) {
    return std::string_view(meta).substr(h.offset - meta_begin, h.size + kBlockTrailerSize);
  };
  CAIRN_ASSIGN_OR_RETURN(std::string filter,
                         DecodeBlock(slice(footer.filter), BlockWhat(footer.filter.offset)));
  filter_size_ = filter.size();
  filter_.reset(static_cast<char*>(
      ::operator new[](std::max<size_t>(1, filter_size_), std::align_val_t(kBloomLineBytes))));
  std::copy(filter.begin(), filter.end(), filter_.get());
  CAIRN_ASSIGN_OR_RETURN(std::string props, DecodeBlock(slice(footer.properties),
                                                        BlockWhat(footer.properties.offset)));
  CAIRN_ASSIGN_OR_RETURN(props_, DecodeProperties(props, What()));
  CAIRN_ASSIGN_OR_RETURN(std::string index,
                         DecodeBlock(slice(footer.index), BlockWhat(footer.index.offset)));
  CAIRN_ASSIGN_OR_RETURN(index_, Block::Parse(std::move(index), BlockWhat(footer.index.offset)));
  return Status::OK();
}

bool TableReader::MayContain(std::string_view user_part) const {
  return MayContainHash(BloomHash(user_part));
}

bool TableReader::MayContainHash(uint64_t bloom_hash) const {
  return BloomMayContainHash(std::string_view(filter_.get(), filter_size_), bloom_hash);
}

Result<std::shared_ptr<const Block>> TableReader::ReadBlock(const BlockHandle& handle,
                                                            bool fill_cache) const {
  if (cache_) {
    if (auto block = cache_->Lookup(object_id_, handle.offset)) return block;
  }
  std::string what = BlockWhat(handle.offset);
  if (!BlockInside(handle, 0, file_size_ - kFooterSize)) {
    return Status::Corruption(what + ": block handle points outside the object");
  }
  auto bytes = file_->Read(handle.offset, handle.size + kBlockTrailerSize);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) {
      return Status::NotFound("SST object " + key_ + " is missing from " +
                              store_->DescribeForLog());
    }
    return bytes.status().WithContext(what);
  }
  if (bytes->size() != handle.size + kBlockTrailerSize) {
    return Status::Corruption(what + ": truncated block");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string raw, DecodeBlock(std::move(bytes).value(), what));
  CAIRN_ASSIGN_OR_RETURN(auto block, Block::Parse(std::move(raw), what));
  if (cache_ && fill_cache) cache_->Insert(object_id_, handle.offset, block);
  return block;
}

Result<bool> TableReader::SeekFirst(std::string_view target, std::string* key,
                                    std::string* value) const {
  // Index entries are the last key of each data block, so the first entry >= target
  // is in the block of the first index entry >= target.
  std::string index_key;
  std::string_view encoded;
  CAIRN_ASSIGN_OR_RETURN(bool in_range, index_->Seek(target, &index_key, &encoded));
  if (!in_range) return false;
  BlockHandle handle;
  if (!DecodeBlockHandle(&encoded, &handle)) {
    return Status::Corruption(What() + ": bad index entry");
  }
  CAIRN_ASSIGN_OR_RETURN(auto block, ReadBlock(handle));
  std::string_view found;
  CAIRN_ASSIGN_OR_RETURN(bool in_block, block->Seek(target, key, &found));
  if (!in_block) {
    // Only when an index key is above its block's last key: the entry is further on.
    auto it = NewIterator();
    it->Seek(target);
    CAIRN_RETURN_IF_ERROR(it->status());
    if (!it->Valid()) return false;
    key->assign(it->key());
    value->assign(it->value());
    return true;
  }
  value->assign(found);
  return true;
}

namespace {

// Walks the index block and opens one data block at a time.
class TableIterator final : public Iterator {
 public:
  TableIterator(std::shared_ptr<const TableReader> table, std::unique_ptr<Iterator> index,
                bool fill_cache)
      : table_(std::move(table)), index_(std::move(index)), fill_cache_(fill_cache) {}

  bool Valid() const override { return data_ && data_->Valid(); }
  std::string_view key() const override { return data_->key(); }
  std::string_view value() const override { return data_->value(); }
  Status status() const override {
    if (!status_.ok()) return status_;
    if (!index_->status().ok()) return index_->status();
    return data_ ? data_->status() : Status::OK();
  }

  void SeekToFirst() override {
    index_->SeekToFirst();
    LoadBlock();
    if (data_) data_->SeekToFirst();
    SkipEmptyBlocks();
  }
  void Seek(std::string_view target) override {
    index_->Seek(target);
    LoadBlock();
    if (data_) data_->Seek(target);
    SkipEmptyBlocks();
  }
  void Next() override {
    data_->Next();
    SkipEmptyBlocks();
  }

 private:
  void LoadBlock() {
    data_.reset();
    if (!index_->Valid() || !status_.ok()) return;
    std::string_view in = index_->value();
    BlockHandle handle;
    if (!DecodeBlockHandle(&in, &handle)) {
      status_ = Status::Corruption("SST " + table_->object_key() + ": bad index entry");
      return;
    }
    auto block = table_->ReadBlock(handle, fill_cache_);
    if (!block.ok()) {
      status_ = block.status();
      return;
    }
    data_ = Block::NewIterator(std::move(block).value());
  }
  // Moves to the next block while the current one is exhausted (without error).
  void SkipEmptyBlocks() {
    while (data_ && !data_->Valid() && data_->status().ok()) {
      index_->Next();
      LoadBlock();
      if (data_) data_->SeekToFirst();
    }
  }

  std::shared_ptr<const TableReader> table_;
  std::unique_ptr<Iterator> index_;
  std::unique_ptr<Iterator> data_;
  const bool fill_cache_;
  Status status_;
};

}  // namespace

std::unique_ptr<Iterator> TableReader::NewIterator(bool fill_cache) const {
  return std::make_unique<TableIterator>(shared_from_this(), Block::NewIterator(index_),
                                         fill_cache);
}

}  // namespace cairn::sst
