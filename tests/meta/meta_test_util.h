// Fixtures for tests of src/meta: a fresh mem:// meta store per test, with MetaWriter.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "common/clock.h"
#include "meta/keys.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"

namespace cairn::testing {

// A name no other test in this process uses (mem:// stores are shared by name).
inline std::string UniqueMemUrl(const std::string& what) {
  static std::atomic<int> counter{0};
  return "mem://" + what + "-" + std::to_string(counter++) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

class MetaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenMetaStore(UniqueMemUrl("meta"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    writer_ = std::make_unique<MetaWriter>(store_.get(), &clock_);
    ASSERT_TRUE(writer_->Open().ok());
  }

  // Every key outside changelog/, with its value.
  std::map<std::string, std::string> Dump() {
    std::map<std::string, std::string> out;
    auto rows = store_->Range("", "", 1 << 20);
    EXPECT_TRUE(rows.ok());
    for (auto& kv : *rows) {
      if (kv.key.rfind(keys::kChangelogPrefix, 0) != 0) out[kv.key] = kv.value;
    }
    return out;
  }

  ManualClock clock_;
  std::unique_ptr<MetaStore> store_;
  std::unique_ptr<MetaWriter> writer_;
};

}  // namespace cairn::testing
