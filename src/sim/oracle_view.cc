#include "sim/oracle_view.h"

namespace cairn::sim {
namespace {

class DiscardingWriter final : public ObjectWriter {
 public:
  Status Append(std::string_view data) override {
    bytes_ += data.size();
    return Status::OK();
  }
  Status Finish() override { return Status::OK(); }
  void Abort() override {}
  uint64_t bytes_written() const override { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<ObjectWriter>> OracleObjectView::NewWriter(std::string_view, WriteMode) {
  return std::unique_ptr<ObjectWriter>(std::make_unique<DiscardingWriter>());
}

}  // namespace cairn::sim
