// Whole-store dumps for tests that assert "nothing changed": every object (key -> bytes)
// and every meta key (key -> value). Header-only; links against the store libraries of
// the test that includes it.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "meta_store/meta_store.h"
#include "object_store/object_store.h"

namespace cairn::testing {

inline std::map<std::string, std::string> DumpObjects(ObjectStore* store) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(ListAll(*store, "", [&](const ObjectMeta& m) {
                auto bytes = store->Get(m.key);
                EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
                if (bytes.ok()) out[m.key] = *bytes;
                return Status::OK();
              }).ok());
  return out;
}

inline std::map<std::string, std::string> DumpMetaKeys(MetaStore* store) {
  std::map<std::string, std::string> out;
  auto all = store->Range(std::string(1, '\0'), "", 1 << 20);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  if (all.ok()) {
    for (const auto& kv : *all) out[kv.key] = kv.value;
  }
  return out;
}

}  // namespace cairn::testing
