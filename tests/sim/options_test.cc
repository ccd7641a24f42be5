// The command line contract scripts depend on (docs/simulation.md, "Interface").
#include <gtest/gtest.h>

#include "sim/sim_options.h"

namespace cairn::sim {
namespace {

TEST(SimOptionsTest, SeedAndRange) {
  auto one = ParseSimOptions({"--seed", "7", "--steps", "50"});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->first_seed, 7u);
  EXPECT_EQ(one->last_seed, 7u);
  EXPECT_FALSE(one->range);
  EXPECT_EQ(one->steps, 50);
  auto range = ParseSimOptions({"--seeds", "1..2000"});
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->range);
  EXPECT_EQ(range->last_seed, 2000u);
  EXPECT_EQ(range->steps, kDefaultSteps);
}

TEST(SimOptionsTest, UsageErrors) {
  for (std::vector<std::string> args : {std::vector<std::string>{},
                                        {"--seed"},
                                        {"--seed", "x"},
                                        {"--seeds", "5..1"},
                                        {"--seeds", "1-5"},
                                        {"--seed", "1", "--steps", "0"},
                                        {"--seed", "1", "--bogus"},
                                        {"--seed", "1", "--inject-bug", "nope"}}) {
    EXPECT_FALSE(ParseSimOptions(args).ok()) << args.size();
  }
}

}  // namespace
}  // namespace cairn::sim
