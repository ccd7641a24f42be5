// Whole runs of the simulator: a seed replays byte for byte (in process and through
// the binary), the output keeps its contract, and planted bugs are caught with a
// reproduce line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "sim/simulation.h"

namespace cairn::sim {
namespace {

struct BinaryRun {
  int exit_code = -1;
  std::string out;
};

BinaryRun RunBinary(const std::string& args) {
  BinaryRun run;
  std::string command = std::string(CAIRN_SIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.out.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string LastLine(const std::string& out) {
  size_t end = out.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  size_t begin = out.rfind('\n', end);
  return out.substr(begin == std::string::npos ? 0 : begin + 1, end - begin);
}

TEST(SimRunTest, ASeedReplaysExactlyInProcess) {
  SimOptions options;
  options.steps = 200;
  options.verbose = true;  // compares every action's trace line, not just the outcome
  for (uint64_t seed : {3u, 11u, 42u}) {
    SeedResult a = RunSeed(seed, options);
    SeedResult b = RunSeed(seed, options);
    EXPECT_EQ(a.details, b.details) << seed;
    EXPECT_EQ(a.report, b.report) << seed;
    EXPECT_EQ(a.coverage.counts(), b.coverage.counts()) << seed;
    EXPECT_FALSE(a.violation) << a.report;
  }
}

TEST(SimRunTest, TheBinaryPrintsTheSameBytesTwice) {
  BinaryRun a = RunBinary("--seed 17 --verbose");
  BinaryRun b = RunBinary("--seed 17 --verbose");
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.exit_code, 0) << a.out;
  EXPECT_EQ(LastLine(a.out), "1 seeds, 0 violations");
  BinaryRun range1 = RunBinary("--seeds 1..24 --jobs 1");
  BinaryRun range2 = RunBinary("--seeds 1..24 --jobs 3");  // thread timing must not matter
  EXPECT_EQ(range1.out, range2.out);
  EXPECT_EQ(LastLine(range1.out), "24 seeds, 0 violations");
}

TEST(SimRunTest, UsageErrorsExitTwo) {
  BinaryRun run = RunBinary("--seeds 9..1");
  EXPECT_EQ(run.exit_code, 2) << run.out;
}

TEST(SimRunTest, VacuumThatIgnoresPinsIsCaught) {
  BinaryRun run = RunBinary("--seeds 1..40 --inject-bug vacuum-ignores-pins");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("a listed backup"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("reproduce: cairn-sim --seed "), std::string::npos) << run.out;
  EXPECT_NE(LastLine(run.out).find(" seeds, "), std::string::npos);
  EXPECT_EQ(LastLine(run.out).find(" seeds, 0 violations"), std::string::npos);
}

TEST(SimRunTest, ALostObjectIsCaught) {
  BinaryRun run = RunBinary("--seeds 1..10 --inject-bug lose-object");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("reproduce: cairn-sim --seed "), std::string::npos) << run.out;
}

}  // namespace
}  // namespace cairn::sim
