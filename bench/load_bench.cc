// load_bench: rows/s of `cairn load` through a real `cairn server` (gRPC, one client)
// against the same rows written in-process with Cluster::Write, in one run.
//
//   load_bench [--rows N] [--value-size B] [--rounds R]
//
// Both sides write rows k0000000000.. (cli/load_rows.h) in batches of 1000 and
// checkpoint (Flush) every 20 batches and at the end, as `cairn load` does, to a fresh embedded
// setup (SQLite meta store + fs object store under $TMPDIR). The server side is timed around the
// `cairn load` process alone (server already up, table created). Modes alternate
// between rounds.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "cli/load_rows.h"
#include "storage/cluster.h"

namespace cairn {
namespace {

using bench::Die;

constexpr uint64_t kBatchRows = 1000;
constexpr uint64_t kBatchesPerCheckpoint = 20;
const std::string kCairn = CAIRN_BINARY;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double InProcess(const std::string& dir, uint64_t rows, uint64_t value_size) {
  std::filesystem::create_directories(dir + "/data");
  auto meta = OpenMetaStore("sqlite://" + dir + "/meta.db");
  auto objects = OpenObjectStore("fs://" + dir + "/data");
  if (!meta.ok() || !objects.ok()) Die("cannot open stores under " + dir);
  MetaWriter writer(meta->get(), SystemClock::Default());
  if (!writer.Open().ok()) Die("MetaWriter::Open failed");
  auto cluster = Cluster::Open(&writer, objects->get(), ClusterOptions{});
  if (!cluster.ok()) Die(cluster.status().ToString());
  auto table = (*cluster)->CreateTable("t");
  if (!table.ok()) Die(table.status().ToString());
  auto start = std::chrono::steady_clock::now();
  uint64_t batches = 0;
  for (uint64_t next = 0; next < rows; ++batches) {
    WriteBatch batch;
    uint64_t end = std::min(rows, next + kBatchRows);
    for (; next < end; ++next) {
      batch.Put(table->id, cli::LoadKey(next), cli::LoadValue(0, next, value_size));
    }
    auto written = (*cluster)->Write(batch, /*wait=*/false);
    if (!written.ok()) Die(written.status().ToString());
    if (end == rows || (batches + 1) % kBatchesPerCheckpoint == 0) {
      auto flushed = (*cluster)->Flush();
      if (!flushed.ok()) Die(flushed.status().ToString());
    }
  }
  double seconds = Seconds(start);
  (void)(*cluster)->Close();
  return rows / seconds;
}

int Run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double ThroughServer(const std::string& dir, uint64_t rows, uint64_t value_size) {
  std::string out = dir + ".out";
  pid_t server = fork();
  if (server == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    dup2(null, 2);
    execl(kCairn.c_str(), kCairn.c_str(), "server", "--data-dir", dir.c_str(), "--listen",
          "127.0.0.1:0", "--http-listen", "127.0.0.1:0", nullptr);
    _exit(127);
  }
  std::string addr;
  for (int i = 0; i < 1200 && addr.empty(); ++i) {
    std::ifstream in(out);
    std::string line;
    if (std::getline(in, line) && line.rfind("listening on ", 0) == 0) addr = line.substr(13);
    if (addr.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (addr.empty()) Die("server did not start");
  if (Run({kCairn, "table", "create", "t", "--addr", addr}) != 0) Die("table create failed");
  auto start = std::chrono::steady_clock::now();
  if (Run({kCairn, "load", "t", "--rows", std::to_string(rows), "--value-size",
           std::to_string(value_size), "--addr", addr}) != 0) {
    Die("cairn load failed");
  }
  double seconds = Seconds(start);
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  return rows / seconds;
}

int Main(int argc, char** argv) {
  uint64_t rows = 200000, value_size = 100;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    uint64_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (arg == "--rows") {
      rows = v;
    } else if (arg == "--value-size") {
      value_size = v;
    } else if (arg == "--rounds") {
      rounds = static_cast<int>(v);
    } else {
      Die("unknown argument " + arg +
          " (usage: load_bench [--rows N] [--value-size B] [--rounds R])");
    }
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "load-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) Die("mkdtemp failed");
  std::printf("load_bench: %llu rows x %llu B values, %d rounds, in %s\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(value_size),
              rounds, tmpl.c_str());
  double sum_local = 0, sum_server = 0;
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      bool local = (round + k) % 2 == 0;
      std::string dir = tmpl + "/r" + std::to_string(round) + (local ? "-local" : "-server");
      double rate = local ? InProcess(dir, rows, value_size) : ThroughServer(dir, rows, value_size);
      (local ? sum_local : sum_server) += rate;
      std::printf("round %d %-10s %9.0f rows/s\n", round, local ? "in-process" : "server", rate);
      std::fflush(stdout);
    }
  }
  std::printf("mean: in-process %.0f rows/s, server %.0f rows/s (server/in-process %.2f)\n",
              sum_local / rounds, sum_server / rounds, sum_server / sum_local);
  std::filesystem::remove_all(tmpl);
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) { return cairn::Main(argc, argv); }
