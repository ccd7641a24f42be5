// backup_encryption_bench: what encrypting backup storage (issue 17) costs, plaintext and
// encrypted side by side in one run, rounds interleaved, medians printed with ratios
// (goal: encrypted <= 1.10x plaintext).
//
//   create   BackupService::Create at N synthetic SSTs into fs:// backup storage, plain
//            vs through EncryptBackupStorage (AES-256-GCM, 64 KiB chunks)
//   restore  RestoreSnapshot of that backup into an empty sqlite:// meta store
//   stream   an M MiB object written through NewWriter in 1 MiB appends, then read back
//            in 1 MiB GetRange calls (the snapshot file's access pattern), mem://: the
//            codec's own cost
//
//   backup_encryption_bench [--dir DIR] [--ssts N] [--rounds R] [--stream-mib M]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backup/backup_encryption.h"
#include "backup/backup_service.h"
#include "backup/restore.h"
#include "bench_util.h"
#include "common/random.h"
#include "meta/meta_writer.h"
#include "meta_store/meta_store.h"
#include "synthetic_meta.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;
using bench::Must;

struct Config {
  std::string dir = "/tmp/cairn-backup-encryption-bench";
  uint64_t ssts = 100'000;
  int rounds = 5;
  uint64_t stream_mib = 256;
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

// Plaintext first in even rounds, encrypted first in odd ones: what the first of a pair
// pays (a cold cache, the other's writeback) is shared evenly.
std::vector<int> Order(int round) { return round % 2 ? std::vector{1, 0} : std::vector{0, 1}; }

EncryptionKeyring BenchKeys() {
  std::string bytes(32, '\0');
  Random random(17);
  for (auto& c : bytes) c = static_cast<char>(random.Next());
  EncryptionKeyring keys;
  keys.Add(Must(EncryptionKey::FromBytes(bytes), "key"));
  return keys;
}

// fs:// at `path`, encrypted or not.
std::unique_ptr<ObjectStore> Storage(const std::string& path, bool encrypted) {
  auto base = Must(OpenObjectStore("fs://" + path), "open " + path);
  if (!encrypted) return base;
  return EncryptBackupStorage(std::move(base), BenchKeys());
}

// `goal`: whether the <= 1.10x goal applies (backup create and restore), or the line
// shows the raw codec cost for reference.
void Report(const char* part, const std::string& what, const std::vector<double>& plain,
            const std::vector<double>& encrypted, bool goal = true) {
  double p = Median(plain), e = Median(encrypted);
  std::printf("%-8s %s: plain %.3f s, encrypted %.3f s = %.3fx%s\n", part, what.c_str(), p, e,
              e / p, goal ? " (goal <= 1.10)" : " (codec cost, for reference)");
}

void RunBackupAndRestore(const Config& cfg) {
  std::string dir = cfg.dir + "/backup";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto meta = Must(OpenMetaStore("sqlite://" + dir + "/meta.db"), "open meta");
  bench::LoadSyntheticMeta(meta.get(), cfg.ssts);
  bench::CreateDummyObjects(dir + "/objects", 1, cfg.ssts);
  auto objects = Must(OpenObjectStore("fs://" + dir + "/objects"), "open objects");
  MetaWriter writer(meta.get(), SystemClock::Default());
  Check(writer.Open(), "open meta writer");
  std::unique_ptr<ObjectStore> storages[2] = {Storage(dir + "/plain", false),
                                              Storage(dir + "/encrypted", true)};
  std::vector<std::unique_ptr<BackupService>> services;
  for (auto& s : storages) {
    services.push_back(
        std::make_unique<BackupService>(&writer, objects.get(), s.get(), SystemClock::Default()));
  }
  std::vector<double> create[2], restore[2];
  SnapshotEntry entries[2];
  uint64_t records = 0;
  for (int round = 0; round < cfg.rounds; ++round) {
    for (int enc : Order(round)) {
      create[enc].push_back(
          Seconds([&] { entries[enc] = Must(services[enc]->Create(""), "create"); }));
    }
    for (int enc : Order(round)) {
      std::string target_path = dir + "/target.db";
      for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(target_path + suffix);
      auto target = Must(OpenMetaStore("sqlite://" + target_path), "open target");
      auto reader = Storage(dir + (enc ? "/encrypted" : "/plain"), enc == 1);  // no caches
      BackupStorage storage(reader.get());
      RestoreOptions options;
      options.snapshot_id = entries[enc].id;
      options.force = true;
      restore[enc].push_back(Seconds([&] {
        records = Must(RestoreSnapshot(&storage, objects.get(), target.get(), options), "restore")
                      .records;
      }));
    }
  }
  if (entries[1].key_id.empty() || !entries[0].key_id.empty()) Die("key ids not as expected");
  std::string n = std::to_string(cfg.ssts) + " SSTs";
  Report("create", n + ", snapshot " + std::to_string(entries[1].file_size) + " bytes", create[0],
         create[1]);
  Report("restore", n + ", " + std::to_string(records) + " records", restore[0], restore[1]);
}

// In memory (mem://), so that the disk does not hide what the codec costs.
void RunStream(const Config& cfg) {
  const size_t piece = 1 << 20;
  std::string data(piece, '\0');
  Random random(3);
  for (size_t i = 0; i < data.size(); i += 8) {
    uint64_t v = random.Next();
    std::memcpy(data.data() + i, &v, 8);
  }
  std::vector<double> write[2], read[2];
  for (int round = 0; round < cfg.rounds; ++round) {
    for (int enc : Order(round)) {
      auto base = Must(OpenObjectStore(enc ? "mem://bench-encrypted" : "mem://bench-plain"), "mem");
      std::unique_ptr<ObjectStore> store =
          enc ? EncryptBackupStorage(std::move(base), BenchKeys()) : std::move(base);
      std::string key = "snapshots/" + std::to_string(round) + ".snap";
      write[enc].push_back(Seconds([&] {
        auto w = Must(store->NewWriter(key, WriteMode::kCreateOnly), "writer");
        for (uint64_t i = 0; i < cfg.stream_mib; ++i) Check(w->Append(data), "append");
        Check(w->Finish(), "finish");
      }));
      uint64_t got = 0;
      read[enc].push_back(Seconds([&] {
        for (uint64_t off = 0; off < cfg.stream_mib * piece; off += piece) {
          got += Must(store->GetRange(key, off, piece), "range").size();
        }
      }));
      if (got != cfg.stream_mib * piece) Die("short read");
      Check(store->Delete(key), "delete");
    }
  }
  std::string what = std::to_string(cfg.stream_mib) + " MiB";
  Report("stream", what + " written, 1 MiB appends (mem://)", write[0], write[1], false);
  Report("stream", what + " read, 1 MiB ranges (mem://)", read[0], read[1], false);
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  cairn::Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") {
      cfg.dir = value;
    } else if (flag == "--ssts") {
      cfg.ssts = std::stoull(value);
    } else if (flag == "--rounds") {
      cfg.rounds = std::stoi(value);
    } else if (flag == "--stream-mib") {
      cfg.stream_mib = std::stoull(value);
    } else {
      cairn::bench::Die("unknown flag " + flag);
    }
  }
  cairn::RunBackupAndRestore(cfg);
  cairn::RunStream(cfg);
  std::filesystem::remove_all(cfg.dir);
  return 0;
}
