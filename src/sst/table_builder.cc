#include "sst/table_builder.h"

#include "sst/internal_key.h"

namespace cairn::sst {
namespace {
constexpr size_t kWriteChunk = 1 << 20;
}

TableBuilder::TableBuilder(std::unique_ptr<ObjectWriter> writer, std::string what,
                           const TableBuilderOptions& options)
    : writer_(std::move(writer)),
      what_(std::move(what)),
      options_(options),
      data_block_(options.restart_interval),
      index_block_(1),
      bloom_(options.bloom_bits_per_key) {}

TableBuilder::~TableBuilder() {
  if (!finished_) Abandon();
}

Status TableBuilder::Add(std::string_view key, std::string_view value) {
  if (!status_.ok()) return status_;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(key, &parsed)) {
    return status_ = Status::InvalidArgument(what_ + ": malformed internal key");
  }
  if (props_.entry_count > 0 && CompareInternalKeys(key, props_.largest_key) <= 0) {
    return status_ = Status::InvalidArgument(what_ + ": keys added out of order");
  }
  if (props_.entry_count == 0) {
    props_.smallest_key.assign(key);
    props_.min_epoch = props_.max_epoch = parsed.epoch;
  }
  props_.largest_key.assign(key);
  props_.min_epoch = std::min(props_.min_epoch, parsed.epoch);
  props_.max_epoch = std::max(props_.max_epoch, parsed.epoch);
  props_.entry_count++;
  if (parsed.kind == ValueKind::kDelete) props_.delete_count++;
  props_.raw_key_bytes += key.size();
  props_.raw_value_bytes += value.size();
  table_ids_.insert(parsed.table_id());
  if (parsed.user_part != last_user_part_ || props_.entry_count == 1) {
    bloom_.AddKey(parsed.user_part);
    last_user_part_.assign(parsed.user_part);
  }
  data_block_.Add(key, value);
  if (data_block_.EstimatedSize() >= options_.block_size) return FlushDataBlock();
  return Status::OK();
}

Status TableBuilder::FlushDataBlock() {
  if (data_block_.empty()) return Status::OK();
  std::string last_key(data_block_.last_key());
  BlockHandle handle = EmitBlock(data_block_.Finish(), options_.compression);
  data_block_.Reset();
  std::string encoded;
  EncodeBlockHandle(&encoded, handle);
  index_block_.Add(last_key, encoded);
  props_.data_block_count++;
  return FlushPending(false);
}

BlockHandle TableBuilder::EmitBlock(std::string_view raw, Compression compression) {
  BlockHandle handle;
  handle.offset = offset_;
  size_t before = pending_.size();
  handle.size = AppendBlock(&pending_, raw, compression);
  offset_ += pending_.size() - before;
  return handle;
}

Status TableBuilder::FlushPending(bool force) {
  if (pending_.empty() || (!force && pending_.size() < kWriteChunk)) return Status::OK();
  status_ = writer_->Append(pending_);
  pending_.clear();
  return status_;
}

Status TableBuilder::Finish() {
  CAIRN_RETURN_IF_ERROR(status_);
  CAIRN_RETURN_IF_ERROR(FlushDataBlock());
  props_.table_ids.assign(table_ids_.begin(), table_ids_.end());
  Footer footer;
  footer.format_version = options_.format_version;
  footer.filter = EmitBlock(bloom_.Finish(), Compression::kNone);
  footer.properties = EmitBlock(EncodeProperties(props_), Compression::kNone);
  footer.index = EmitBlock(index_block_.Finish(), Compression::kNone);
  std::string encoded = EncodeFooter(footer);
  pending_.append(encoded);
  offset_ += encoded.size();
  CAIRN_RETURN_IF_ERROR(FlushPending(true));
  status_ = writer_->Finish();
  finished_ = status_.ok();
  return status_;
}

void TableBuilder::Abandon() {
  if (writer_ && !finished_) writer_->Abort();
  finished_ = true;
}

}  // namespace cairn::sst
