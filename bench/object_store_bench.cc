// object_store_bench: fs object store put/get throughput against the raw filesystem,
// and create-only puts against overwriting ones.
//
//   object_store_bench [--dir DIR] [--objects N] [--size BYTES] [--rounds R]
//   object_store_bench --mode create-only [--url URL] [--dir DIR] [--objects N]
//                      [--size BYTES] [--rounds R]
//
// Default mode (raw): writes N objects of BYTES each through the fs store (temp file,
// fsync, rename, dir fsync) and, as the baseline, with plain open()+write()+fsync() to
// new files in the same filesystem; then reads them back with Get() and with plain
// read(), once from the page cache (warm) and once after evicting the files from it
// (cold). Rounds alternate which side goes first. Prints MB/s (10^6 bytes/s) per
// operation and the fs/raw ratio.
//
// create-only: the cost of never overwriting an SST. Against the store at URL (default
// fs:// under DIR; any object store URL works, e.g. the s3rver of
// scripts/test-servers.sh with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set), puts N new
// objects with Put and N with PutIfAbsent, then streams N through an overwriting and N
// through a create-only writer (1 MiB appends), object by object side by side,
// alternating which goes first. Every key is new, as an SST's is, under a prefix of its
// own that is deleted after each round. Prints MB/s, objects/s and the
// create-only/overwrite throughput ratio.
#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "common/random.h"
#include "object_store/object_store.h"

namespace cairn {
namespace {

using bench::Check;
using bench::Die;

struct Options {
  std::string mode = "raw";  // raw | create-only
  std::string url;           // create-only: the store (default fs:// under dir)
  std::string dir;           // default: a new directory under $TMPDIR
  int objects = 128;
  size_t size = 4 << 20;
  int rounds = 3;
};

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    if (arg == "--mode") {
      options->mode = value;
    } else if (arg == "--url") {
      options->url = value;
    } else if (arg == "--dir") {
      options->dir = value;
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
  bool mode_ok = options->mode == "raw" || options->mode == "create-only";
  bool url_ok = options->url.empty() || options->mode == "create-only";
  return mode_ok && url_ok && options->objects > 0 && options->size > 0 && options->rounds > 0;
}

std::string FilesystemName(const std::string& dir) {
  struct statfs st;
  if (statfs(dir.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794C7630:
      return "overlayfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(st.f_type));
      return hex;
    }
  }
}

double Seconds(const std::function<void()>& fn) {
  auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Drops a file's clean pages from the page cache so the next read goes to the device.
void Evict(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

class Bench {
 public:
  Bench(const Options& options, const std::string& dir)
      : options_(options), raw_dir_(dir + "/raw"), store_dir_(dir + "/store") {
    std::filesystem::create_directories(raw_dir_);
    auto store = OpenObjectStore("fs://" + store_dir_);
    Check(store.status());
    store_ = std::move(store).value();
    Random random(1);
    data_ = random.Bytes(options.size);
  }

  void RawPut(int i) {
    std::string path = RawPath(i);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
    for (size_t done = 0; done < data_.size();) {
      ssize_t n = write(fd, data_.data() + done, data_.size() - done);
      if (n <= 0) Die("write " + path + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    if (fsync(fd) != 0) Die("fsync " + path + ": " + std::strerror(errno));
    close(fd);
  }

  void StorePut(int i) { Check(store_->Put(Key(i), data_)); }

  void RawGet(int i) {
    std::string path = RawPath(i);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
    // A new buffer per object, as a caller of Get() gets.
    std::string buffer(data_.size(), '\0');
    size_t done = 0;
    while (done < buffer.size()) {
      ssize_t n = read(fd, buffer.data() + done, buffer.size() - done);
      if (n < 0) Die("read " + path + ": " + std::strerror(errno));
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
    if (done != data_.size()) Die("short read of " + path);
  }

  void StoreGet(int i) {
    auto got = store_->Get(Key(i));
    Check(got.status());
    if (got->size() != data_.size()) Die("short get of " + Key(i));
  }

  void EvictRaw(int i) { Evict(RawPath(i)); }
  void EvictStore(int i) { Evict(store_dir_ + "/" + Key(i)); }

  // Both sides write new files every round, as a put of a new SST does.
  void DeleteAll() {
    for (int i = 0; i < options_.objects; ++i) {
      unlink(RawPath(i).c_str());
      Check(store_->Delete(Key(i)));
    }
  }

  double bytes_per_pass() const { return static_cast<double>(options_.size) * options_.objects; }

 private:
  std::string RawPath(int i) const { return raw_dir_ + "/obj-" + std::to_string(i); }
  static std::string Key(int i) { return "data/obj-" + std::to_string(i); }

  const Options& options_;
  std::string raw_dir_, store_dir_;
  std::unique_ptr<ObjectStore> store_;
  std::string data_;
};

// Create-only (PutIfAbsent, kCreateOnly writers) against overwriting puts and writers
// on one store, every key new.
class CreateOnlyBench {
 public:
  CreateOnlyBench(const Options& options, const std::string& url) {
    store_ = bench::Must(OpenObjectStore(url), "open " + url);
    Random random(1);
    data_ = random.Bytes(options.size);
    prefix_ = "create-only-bench-" + std::to_string(getpid()) + "/";
  }

  void Put(int i) { Check(store_->Put(Key("put", i), data_)); }
  void PutIfAbsent(int i) { Check(store_->PutIfAbsent(Key("put-if-absent", i), data_)); }
  void OverwriteWriter(int i) { Stream(Key("writer", i), WriteMode::kOverwrite); }
  void CreateOnlyWriter(int i) { Stream(Key("create-only-writer", i), WriteMode::kCreateOnly); }

  // Every round writes new keys, as a checkpoint's new SSTs are.
  void DeleteAll() {
    std::vector<std::string> keys;
    Check(ListAll(*store_, prefix_, [&](const ObjectMeta& meta) {
      keys.push_back(meta.key);
      return Status::OK();
    }));
    for (const auto& key : keys) Check(store_->Delete(key));
  }

  std::string description() const { return store_->DescribeForLog(); }

 private:
  std::string Key(const char* kind, int i) const {
    return prefix_ + kind + "/" + std::to_string(i) + ".sst";
  }

  void Stream(const std::string& key, WriteMode mode) {
    auto writer = bench::Must(store_->NewWriter(key, mode), "new writer " + key);
    constexpr size_t kAppend = 1 << 20;
    for (size_t off = 0; off < data_.size(); off += kAppend) {
      Check(writer->Append(std::string_view(data_).substr(off, kAppend)), "append " + key);
    }
    Check(writer->Finish(), "finish " + key);
  }

  std::unique_ptr<ObjectStore> store_;
  std::string data_;
  std::string prefix_;
};

struct Row {
  const char* name;
  double seconds = 0;
};

// Runs fn(i) for both rows of a pair, alternating which goes first, accumulating time.
template <typename Target, typename Fn>
void TimePair(Target& target, Row& first, Row& second, int i, bool first_first, Fn first_fn,
              Fn second_fn) {
  for (int side = 0; side < 2; ++side) {
    bool do_first = (side == 0) == first_first;
    (do_first ? first : second).seconds +=
        Seconds([&] { (target.*(do_first ? first_fn : second_fn))(i); });
  }
}

int RunCreateOnly(const Options& options) {
  std::string url = options.url.empty() ? "fs://" + options.dir + "/store" : options.url;
  std::string where = options.url.empty() ? " (" + FilesystemName(options.dir) + ")" : "";
  CreateOnlyBench bench(options, url);
  // Pairs of (overwrite, create-only) rows; the ratio is create-only / overwrite.
  Row rows[] = {
      {"put (Put)"}, {"put (PutIfAbsent)"}, {"writer (kOverwrite)"}, {"writer (kCreateOnly)"}};
  for (int round = 0; round < options.rounds; ++round) {
    for (int i = 0; i < options.objects; ++i) {
      bool first = (i + round) % 2 == 0;
      TimePair(bench, rows[0], rows[1], i, first, &CreateOnlyBench::Put,
               &CreateOnlyBench::PutIfAbsent);
      TimePair(bench, rows[2], rows[3], i, !first, &CreateOnlyBench::OverwriteWriter,
               &CreateOnlyBench::CreateOnlyWriter);
    }
    bench.DeleteAll();
  }
  std::printf(
      "object_store_bench --mode create-only: %d objects x %zu bytes, %d rounds, %s%s, "
      "nproc %u\n",
      options.objects, options.size, options.rounds, bench.description().c_str(), where.c_str(),
      std::thread::hardware_concurrency());
  std::printf("%-22s %10s %10s %12s\n", "operation", "MB/s", "objects/s", "create/over");
  double count = static_cast<double>(options.objects) * options.rounds;
  for (size_t i = 0; i < std::size(rows); ++i) {
    std::printf("%-22s %10.1f %10.1f", rows[i].name,
                count * static_cast<double>(options.size) / rows[i].seconds / 1e6,
                count / rows[i].seconds);
    if (i % 2 == 1) std::printf(" %11.3fx", rows[i - 1].seconds / rows[i].seconds);
    std::printf("\n");
  }
  return 0;
}

int RunRawVsFs(const Options& options) {
  Bench bench(options, options.dir);

  // Pairs of (raw, fs) rows; the ratio is fs / raw.
  Row rows[] = {{"put (write+fsync)"},   {"put (fs store)"},  {"get warm (read)"},
                {"get warm (fs store)"}, {"get cold (read)"}, {"get cold (fs store)"}};
  // Raw and fs operations alternate object by object (and which goes first), so both see
  // the same device and machine load; the shared test machine is noisy.
  for (int round = 0; round < options.rounds; ++round) {
    for (int i = 0; i < options.objects; ++i) {
      TimePair(bench, rows[0], rows[1], i, (i + round) % 2 == 0, &Bench::RawPut, &Bench::StorePut);
    }
    for (int i = 0; i < options.objects; ++i) {
      TimePair(bench, rows[2], rows[3], i, (i + round) % 2 == 0, &Bench::RawGet, &Bench::StoreGet);
    }
    for (int i = 0; i < options.objects; ++i) {
      bench.EvictRaw(i);
      bench.EvictStore(i);
      TimePair(bench, rows[4], rows[5], i, (i + round) % 2 == 0, &Bench::RawGet, &Bench::StoreGet);
    }
    bench.DeleteAll();
  }

  std::printf("object_store_bench: %d objects x %zu bytes, %d rounds, dir %s (%s), nproc %u\n",
              options.objects, options.size, options.rounds, options.dir.c_str(),
              FilesystemName(options.dir).c_str(), std::thread::hardware_concurrency());
  std::printf("%-22s %10s %8s\n", "operation", "MB/s", "fs/raw");
  double bytes = bench.bytes_per_pass() * options.rounds;
  for (size_t i = 0; i < std::size(rows); ++i) {
    double mbps = bytes / rows[i].seconds / 1e6;
    if (i % 2 == 0) {
      std::printf("%-22s %10.1f\n", rows[i].name, mbps);
    } else {
      std::printf("%-22s %10.1f %7.2fx\n", rows[i].name, mbps,
                  rows[i - 1].seconds / rows[i].seconds);
    }
  }
  return 0;
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: object_store_bench [--mode raw|create-only] [--url URL (create-only)] "
                 "[--dir DIR] [--objects N] [--size BYTES] [--rounds R]\n");
    return 2;
  }
  bool own_dir = options.dir.empty();
  if (own_dir) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "cairn-object-store-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp " + tmpl + ": " + std::strerror(errno));
    options.dir = tmpl;
  }
  std::filesystem::create_directories(options.dir);
  int rc = options.mode == "create-only" ? RunCreateOnly(options) : RunRawVsFs(options);
  if (own_dir) std::filesystem::remove_all(options.dir);
  return rc;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) { return cairn::Main(argc, argv); }
