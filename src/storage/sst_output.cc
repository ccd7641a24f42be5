#include "storage/sst_output.h"

#include <memory>
#include <string>

#include "sst/internal_key.h"

namespace cairn {
namespace {

struct OpenSst {
  uint64_t object_id = 0;
  std::unique_ptr<sst::TableBuilder> builder;
};

Result<OpenSst> StartSst(const SstOutputOptions& options) {
  OpenSst out;
  CAIRN_ASSIGN_OR_RETURN(out.object_id, options.allocate_id());
  std::string key = SstObjectKey(out.object_id);
  // SSTs are immutable: an object already at a fresh id is a bug (or a restored meta
  // store handing out ids again) to report, never an object to overwrite.
  CAIRN_ASSIGN_OR_RETURN(auto writer, options.objects->NewWriter(key, WriteMode::kCreateOnly));
  out.builder =
      std::make_unique<sst::TableBuilder>(std::move(writer), "SST " + key, options.builder);
  return out;
}

Result<SstMeta> FinishSst(OpenSst* open, int level) {
  CAIRN_RETURN_IF_ERROR(open->builder->Finish());
  const sst::TableProperties& p = open->builder->properties();
  SstMeta meta;
  meta.object_id = open->object_id;
  meta.level = level;
  meta.smallest_key = p.smallest_key;
  meta.largest_key = p.largest_key;
  meta.min_epoch = p.min_epoch;
  meta.max_epoch = p.max_epoch;
  meta.file_size = open->builder->file_size();
  meta.entry_count = p.entry_count;
  meta.table_ids = p.table_ids;
  open->builder.reset();
  return meta;
}

}  // namespace

Result<std::vector<SstMeta>> WriteSsts(sst::Iterator* input, const SstOutputOptions& options) {
  std::vector<SstMeta> outputs;
  OpenSst open;
  std::string last_key;
  bool split_pending = false;
  for (; input->Valid(); input->Next()) {
    std::string_view key = input->key();
    if (open.builder && key == last_key) continue;  // the same version from two inputs
    if (open.builder && split_pending && sst::UserPart(key) != sst::UserPart(last_key)) {
      CAIRN_ASSIGN_OR_RETURN(SstMeta meta, FinishSst(&open, options.level));
      outputs.push_back(std::move(meta));
      split_pending = false;
      if (options.between_files) options.between_files();
    }
    if (!open.builder) {
      CAIRN_ASSIGN_OR_RETURN(open, StartSst(options));
    }
    CAIRN_RETURN_IF_ERROR(open.builder->Add(key, input->value()));
    last_key.assign(key);
    if (open.builder->EstimatedSize() >= options.target_bytes) split_pending = true;
  }
  CAIRN_RETURN_IF_ERROR(input->status());
  if (open.builder) {
    CAIRN_ASSIGN_OR_RETURN(SstMeta meta, FinishSst(&open, options.level));
    outputs.push_back(std::move(meta));
  }
  return outputs;
}

}  // namespace cairn
