#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/random.h"
#include "meta/backup_pins.h"

namespace cairn {
namespace {

TEST(PinsTest, EncodeDecodeRoundTrip) {
  BackupPin pin{42, 123456789, 77};
  auto decoded = DecodePin(PinKey(42), EncodePin(pin));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->backup_id, 42u);
  EXPECT_EQ(decoded->epoch, 123456789u);
  EXPECT_EQ(decoded->max_object_id, 77u);
  EXPECT_FALSE(DecodePin(PinKey(1), "garbage").ok());
  EXPECT_FALSE(DecodePin("other/key", "1 2").ok());
}

TEST(PinsTest, ProtectsOnlyObjectsTheCutCouldSee) {
  PinSet pins({{1, /*epoch=*/100, /*max_object_id=*/10}});
  EXPECT_TRUE(pins.Protects(9, 100));    // in the version at the cut, left at the cut epoch
  EXPECT_TRUE(pins.Protects(9, 500));    // left later
  EXPECT_FALSE(pins.Protects(9, 99));    // left before the cut
  EXPECT_FALSE(pins.Protects(10, 500));  // born after the cut
  EXPECT_TRUE(pins.Protects(3, kPinInProgress));  // orphan born before the cut
}

TEST(PinsTest, InProgressPinKeepsEverythingLeavingAfterIt) {
  PinSet pins({{1, 100, kPinInProgress}});
  EXPECT_TRUE(pins.Protects(1'000'000, 100));
  EXPECT_FALSE(pins.Protects(1, 99));
}

// Model check: a brute-force scan over a simulated history of SST lifetimes and
// backups agrees with PinSet on "could any backup reference this object".
TEST(PinsTest, NeverReleasesAnObjectSomeBackupReferences) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Random rnd(seed);
    struct Life {
      uint64_t born_epoch, stale_epoch;
    };
    std::map<uint64_t, Life> objects;  // id -> lifetime
    std::vector<BackupPin> pins;
    std::vector<std::set<uint64_t>> cuts;
    uint64_t next_id = 1, epoch = 1;
    std::set<uint64_t> live;
    for (int step = 0; step < 200; ++step) {
      epoch += 1 + rnd.Uniform(3);
      if (rnd.Percent(40)) {  // checkpoint adds an SST
        objects[next_id] = {epoch, kPinInProgress};
        live.insert(next_id++);
      } else if (rnd.Percent(40) && !live.empty()) {  // compaction retires one
        auto it = live.begin();
        std::advance(it, rnd.Uniform(live.size()));
        objects[*it].stale_epoch = epoch;
        live.erase(it);
      } else {  // backup cut
        pins.push_back({pins.size() + 1, epoch, next_id});
        cuts.push_back(live);
      }
    }
    PinSet set(pins);
    for (const auto& cut : cuts) {
      for (uint64_t id : cut) {
        EXPECT_TRUE(set.Protects(id, objects[id].stale_epoch)) << "seed " << seed << " id " << id;
      }
    }
  }
}

}  // namespace
}  // namespace cairn
