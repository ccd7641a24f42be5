// memtable_bench: inserts into cairn's Memtable (skiplist in an arena) side by side with
// the std::map<std::string, {kind, std::string}> layout it replaced, in one process:
// N writes of random 20-byte user parts (table id + 16-byte key) with 100-byte values,
// then one full iteration, then freeing it (what a checkpoint does with a sealed
// memtable). Rounds alternate which structure goes first; medians.
//
//   memtable_bench [--writes N] [--rounds N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "storage/memtable.h"

namespace cairn {
namespace {

// The previous memtable: a later write of a key replaces the earlier one in place.
struct MapMemtable {
  struct Entry {
    sst::ValueKind kind;
    std::string value;
  };
  void Add(std::string user_part, sst::ValueKind kind, std::string_view value) {
    auto& e = entries[std::move(user_part)];
    e.kind = kind;
    e.value.assign(value);
  }
  std::map<std::string, Entry> entries;
};

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  uint64_t writes = 1'000'000;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--writes") {
      writes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: memtable_bench [--writes N] [--rounds N]\n");
      return 2;
    }
  }
  cairn::Random rnd(1);
  std::vector<std::string> keys;
  keys.reserve(writes);
  for (uint64_t i = 0; i < writes; ++i) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rnd.Next()));
    keys.push_back(cairn::sst::MakeUserPart(1, buf));
  }
  std::string value = rnd.Bytes(100);
  std::vector<double> skip_add, map_add, skip_scan, map_scan, skip_free, map_free;
  for (int round = 0; round < rounds; ++round) {
    auto skiplist = [&] {
      auto mem = std::make_unique<cairn::Memtable>(1);
      skip_add.push_back(cairn::Seconds([&] {
        for (const auto& k : keys) mem->Add(k, cairn::sst::ValueKind::kPut, value);
      }));
      uint64_t n = 0;
      skip_scan.push_back(cairn::Seconds([&] {
        auto it = mem->NewIterator();
        for (it->SeekToFirst(); it->Valid(); it->Next()) n += it->value().size();
      }));
      if (n == 0) std::abort();
      skip_free.push_back(cairn::Seconds([&] { mem.reset(); }));
    };
    auto map = [&] {
      auto mem = std::make_unique<cairn::MapMemtable>();
      map_add.push_back(cairn::Seconds([&] {
        // The cluster built a fresh user-part string per write for the map too.
        for (const auto& k : keys) mem->Add(std::string(k), cairn::sst::ValueKind::kPut, value);
      }));
      uint64_t n = 0;
      map_scan.push_back(cairn::Seconds([&] {
        for (const auto& [k, e] : mem->entries) n += e.value.size();
      }));
      if (n == 0) std::abort();
      map_free.push_back(cairn::Seconds([&] { mem.reset(); }));
    };
    if (round % 2 == 0) {
      skiplist();
      map();
    } else {
      map();
      skiplist();
    }
    std::printf(
        "round %d: add %.3f / %.3f s, iterate %.3f / %.3f s, free %.3f / %.3f s (skiplist / map)\n",
        round + 1, skip_add.back(), map_add.back(), skip_scan.back(), map_scan.back(),
        skip_free.back(), map_free.back());
  }
  double a = writes / cairn::Median(skip_add), b = writes / cairn::Median(map_add);
  double c = writes / cairn::Median(skip_scan), d = writes / cairn::Median(map_scan);
  std::printf("%llu writes, medians of %d rounds\n", static_cast<unsigned long long>(writes),
              rounds);
  std::vector<double> skip_total, map_total;
  for (size_t i = 0; i < skip_add.size(); ++i) {
    skip_total.push_back(skip_add[i] + skip_scan[i] + skip_free[i]);
    map_total.push_back(map_add[i] + map_scan[i] + map_free[i]);
  }
  double e = writes / cairn::Median(skip_total), f = writes / cairn::Median(map_total);
  std::printf("add      skiplist %.0f/s  map %.0f/s  ratio %.2f\n", a, b, a / b);
  std::printf("iterate  skiplist %.0f/s  map %.0f/s  ratio %.2f\n", c, d, c / d);
  std::printf("all      skiplist %.0f/s  map %.0f/s  ratio %.2f  (add + iterate + free)\n", e, f,
              e / f);
  return 0;
}
