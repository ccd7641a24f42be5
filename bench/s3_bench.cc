// s3_bench: S3 object store put/get throughput against the fs store, same objects,
// one run.
//
//   s3_bench --url S3URL [--objects N] [--size BYTES] [--rounds R]
//
// S3URL is an s3:// URL (e.g. the s3rver that scripts/test-servers.sh starts:
// CAIRN_TEST_S3_URL in its env file); credentials come from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY as in production. Without --url, $CAIRN_TEST_S3_URL is used.
// Per round and store: N single-request Puts, N Gets, then N streamed (NewWriter)
// uploads of the same bytes, which are multipart when BYTES exceeds the 8 MiB part
// size. Objects go under a fresh prefix and are deleted afterwards. Prints MB/s
// (10^6 bytes/s) per operation, the median over rounds, and the s3/fs ratio.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "common/random.h"
#include "object_store/object_store.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;

struct Options {
  std::string url;
  int objects = 32;
  size_t size = 4 << 20;
  int rounds = 3;
};

bool ParseArgs(int argc, char** argv, Options* options) {
  if (const char* url = std::getenv("CAIRN_TEST_S3_URL")) options->url = url;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i], value = argv[i + 1];
    if (arg == "--url") {
      options->url = value;
    } else if (arg == "--objects") {
      options->objects = std::atoi(value.c_str());
    } else if (arg == "--size") {
      options->size = std::strtoull(value.c_str(), nullptr, 10);
    } else if (arg == "--rounds") {
      options->rounds = std::atoi(value.c_str());
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !options->url.empty() && options->objects > 0 && options->size > 0 &&
         options->rounds > 0;
}

// Inserts "/PREFIX" after the bucket of an s3:// URL.
std::string WithPrefix(const std::string& url, const std::string& prefix) {
  size_t query = url.find('?');
  std::string base = url.substr(0, query);
  if (base.back() != '/') base += '/';
  return base + prefix + (query == std::string::npos ? "" : url.substr(query));
}

// MB/s of running fn(i) for every object.
double Measure(const Options& options, const std::function<void(int)>& fn) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.objects; ++i) fn(i);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(options.size) * options.objects / seconds / 1e6;
}

// One round against `store`: MB/s per operation.
std::map<std::string, double> RunRound(const Options& options, ObjectStore& store,
                                       const std::vector<std::string>& values) {
  auto key = [](int i) { return "obj-" + std::to_string(i); };
  std::map<std::string, double> mbps;
  mbps["put"] = Measure(options, [&](int i) { Check(store.Put(key(i), values[i])); });
  mbps["get"] = Measure(options, [&](int i) {
    auto got = store.Get(key(i));
    Check(got.status());
    if (got->size() != values[i].size()) Die("short read of " + key(i));
  });
  mbps["stream put"] = Measure(options, [&](int i) {
    auto writer = store.NewWriter(key(i));
    Check(writer.status());
    for (size_t off = 0; off < values[i].size(); off += 1 << 20) {
      Check((*writer)->Append(std::string_view(values[i]).substr(off, 1 << 20)));
    }
    Check((*writer)->Finish());
  });
  for (int i = 0; i < options.objects; ++i) Check(store.Delete(key(i)));
  return mbps;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: s3_bench --url s3://bucket?endpoint=... [--objects N] [--size BYTES] "
                 "[--rounds R]\n(credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)\n");
    return 2;
  }
  std::string run = std::to_string(getpid());
  auto s3 = OpenObjectStore(WithPrefix(options.url, "bench/s3_bench-" + run));
  Check(s3.status());
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("s3_bench-fs-" + run);
  auto fs = OpenObjectStore("fs://" + dir.string());
  Check(fs.status());

  Random random(42);
  std::vector<std::string> values;
  for (int i = 0; i < options.objects; ++i) values.push_back(random.Bytes(options.size));

  std::printf("s3: %s\nfs: %s\n%d objects x %zu bytes, %d rounds (median MB/s)\n",
              (*s3)->DescribeForLog().c_str(), (*fs)->DescribeForLog().c_str(), options.objects,
              options.size, options.rounds);
  std::map<std::string, std::vector<double>> s3_mbps, fs_mbps;
  for (int round = 0; round < options.rounds; ++round) {
    // Alternate which store goes first so caches and warm-up favour neither.
    bool s3_first = round % 2 == 0;
    for (int side = 0; side < 2; ++side) {
      bool is_s3 = (side == 0) == s3_first;
      auto mbps = RunRound(options, is_s3 ? **s3 : **fs, values);
      for (const auto& [op, v] : mbps) (is_s3 ? s3_mbps : fs_mbps)[op].push_back(v);
    }
  }
  std::printf("%-12s %12s %12s %8s\n", "operation", "s3 MB/s", "fs MB/s", "s3/fs");
  for (const char* op : {"put", "get", "stream put"}) {
    double s = Median(s3_mbps[op]), f = Median(fs_mbps[op]);
    std::printf("%-12s %12.1f %12.1f %8.2f\n", op, s, f, s / f);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) { return cairn::Main(argc, argv); }
