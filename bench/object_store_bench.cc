// object_store_bench: fs object store put/get throughput against the raw filesystem.
//
//   object_store_bench [--dir DIR] [--objects N] [--size BYTES] [--rounds R]
//
// Writes N objects of BYTES each through the fs store (temp file, fsync, rename, dir
// fsync) and, as the baseline, with plain open()+write()+fsync() to new files in the same
// filesystem; then reads them back with Get() and with plain read(), once from the page
// cache (warm) and once after evicting the files from it (cold). Rounds alternate which
// side goes first. Prints MB/s (10^6 bytes/s) per operation and the fs/raw ratio.
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
  std::string dir;  // default: a new directory under $TMPDIR
  int objects = 128;
  size_t size = 4 << 20;
  int rounds = 3;
};

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    std::string value = argv[++i];
    if (arg == "--dir") {
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
  return options->objects > 0 && options->size > 0 && options->rounds > 0;
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

struct Row {
  const char* name;
  double seconds = 0;
};

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: object_store_bench [--dir DIR] [--objects N] [--size BYTES] "
                 "[--rounds R]\n");
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
  Bench bench(options, options.dir);

  // Pairs of (raw, fs) rows; the ratio is fs / raw.
  Row rows[] = {{"put (write+fsync)"},   {"put (fs store)"},  {"get warm (read)"},
                {"get warm (fs store)"}, {"get cold (read)"}, {"get cold (fs store)"}};
  // Raw and fs operations alternate object by object (and which goes first), so both see
  // the same device and machine load; the shared test machine is noisy.
  auto time_pair = [&](Row& raw, Row& fs, int i, bool raw_first, void (Bench::*raw_fn)(int),
                       void (Bench::*fs_fn)(int)) {
    for (int side = 0; side < 2; ++side) {
      bool do_raw = (side == 0) == raw_first;
      (do_raw ? raw : fs).seconds += Seconds([&] { (bench.*(do_raw ? raw_fn : fs_fn))(i); });
    }
  };
  for (int round = 0; round < options.rounds; ++round) {
    for (int i = 0; i < options.objects; ++i) {
      time_pair(rows[0], rows[1], i, (i + round) % 2 == 0, &Bench::RawPut, &Bench::StorePut);
    }
    for (int i = 0; i < options.objects; ++i) {
      time_pair(rows[2], rows[3], i, (i + round) % 2 == 0, &Bench::RawGet, &Bench::StoreGet);
    }
    for (int i = 0; i < options.objects; ++i) {
      bench.EvictRaw(i);
      bench.EvictStore(i);
      time_pair(rows[4], rows[5], i, (i + round) % 2 == 0, &Bench::RawGet, &Bench::StoreGet);
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
  if (own_dir) std::filesystem::remove_all(options.dir);
  return 0;
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) { return cairn::Main(argc, argv); }
