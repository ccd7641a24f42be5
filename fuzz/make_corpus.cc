// Writes the seed corpora under fuzz/corpus/<target>/ from the real encoders (snapshot
// writer, manifest, segment encoder, table builder, identity, lease), so every seed is a
// valid input of the current formats. Usage: make_corpus DIR (e.g. fuzz/corpus).
// The inputs with a leading mode byte follow the forms documented in each target.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "backup/manifest.h"
#include "backup/pitr_segment.h"
#include "backup/snapshot_file.h"
#include "common/clock.h"
#include "common/coding.h"
#include "meta/backup_pins.h"
#include "meta/changelog.h"
#include "meta/cluster_identity.h"
#include "meta/writer_lease.h"
#include "object_store/mem_object_store.h"
#include "sst/format.h"
#include "sst/internal_key.h"
#include "sst/table_builder.h"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

fs::path root;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
  fs::create_directories(root / target);
  std::ofstream(root / target / name, std::ios::binary).write(bytes.data(), bytes.size());
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    std::cerr << r.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(r).value();
}
void Must(const Status& s) {
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    std::exit(1);
  }
}

std::string Mode(uint8_t mode, std::string_view rest) {
  return std::string(1, static_cast<char>(mode)) + std::string(rest);
}

void Snapshots(ObjectStore* store) {
  SnapshotHeader header;
  header.snapshot_id = 7;
  header.meta_revision = 977;
  header.changelog_seq = 950;
  header.created_ms = 1'700'000'000'000;
  header.cluster_id = "3c8c0d1e-fuzz";
  for (int n : {0, 1, 12}) {
    Must(store->Delete("snap"));  // snapshot files are create-only
    auto writer = Must(SnapshotWriter::Create(store, "snap", header));
    std::string raw;
    for (int i = 0; i < n; ++i) {
      std::string k = "catalog/table/" + std::to_string(i), v = "value-" + std::to_string(i * i);
      Must(writer->Add(k, v));
      PutLengthPrefixed(&raw, k);
      PutLengthPrefixed(&raw, v);
    }
    Must(writer->Finish());
    std::string file = Must(store->Get("snap"));
    Write("snapshot", "file-" + std::to_string(n), Mode(0, file));
    // Form 1: the header as stored, the record stream uncompressed, the record count.
    uint32_t header_len = DecodeFixed32(file.data() + 12);
    std::string plain = file.substr(0, 16 + header_len) + raw;
    PutFixed64(&plain, n);
    Write("snapshot", "plain-" + std::to_string(n), Mode(1, plain));
  }
}

// A manifest.json as written before issue 12 (format version 1: no entry objects).
std::string ManifestV1(std::string text) {
  std::string v2 = "\"format_version\": " + std::to_string(kManifestFormatVersion);
  text.replace(text.find(v2), v2.size(), "\"format_version\": 1");
  return text;
}

void Manifests() {
  Manifest m;
  Write("manifest", "empty", EncodeManifest(m));
  Write("manifest", "v1-empty", ManifestV1(EncodeManifest(m)));
  for (uint64_t id : {1, 2, 5}) {
    SnapshotEntry s;
    s.id = id;
    s.created_ms = 1'700'000'000'000 + static_cast<int64_t>(id) * 60'000;
    s.epoch = s.created_ms << 16;
    s.version_id = id * 3;
    s.meta_revision = static_cast<int64_t>(id) * 100;
    s.changelog_seq = id * 10;
    s.max_object_id = id * 7;
    s.id_generators = {{"object", id * 7}, {"table", id}};
    s.sst_count = id;
    s.sst_bytes = id * 4096;
    s.file = BackupStorage::SnapshotKey(id);
    s.file_size = 1000 + id;
    s.checksum = 0x1234567890abcdefull * id;
    s.format_version = kSnapshotFormatVersion;
    s.remarks = id == 2 ? "before upgrade" : "";
    s.cluster_id = "3c8c0d1e-fuzz";
    m.snapshots.push_back(s);
    Write("manifest", "snapshots-" + std::to_string(m.snapshots.size()), EncodeManifest(m));
    Write("manifest", "v1-snapshots-" + std::to_string(m.snapshots.size()),
          ManifestV1(EncodeManifest(m)));
    // The same entry as an entry object (manifest/<id>.json), which the fuzzer also
    // decodes and reads beside an index.
    Write("manifest", "entry-" + std::to_string(id), EncodeManifestEntry(s));
  }
}

std::vector<ChangelogRecord> Records(uint64_t first, int n) {
  std::vector<ChangelogRecord> out;
  for (int i = 0; i < n; ++i) {
    ChangelogRecord r;
    r.seq = first + i;
    r.epoch = (1'700'000'000'000ull + i) << 16;
    r.wall_time_ms = 1'700'000'000'000 + i;
    r.ops.push_back(Op::Put("catalog/table/" + std::to_string(i), "v" + std::to_string(i)));
    if (i % 3 == 1) r.ops.push_back(Op::Delete("catalog/table/" + std::to_string(i - 1)));
    if (i % 4 == 2) r.ops.push_back(Op::DeleteRange("users/", "users0"));
    out.push_back(r);
  }
  return out;
}

void Segments() {
  for (auto [first, n] : {std::pair<uint64_t, int>{1, 1}, {43, 8}}) {
    auto records = Records(first, n);
    std::string name = std::to_string(first) + "-" + std::to_string(first + n - 1);
    Write("segment", "file-" + name, Mode(0, EncodeSegment(records)));
    std::string plain;
    PutFixed64(&plain, first);
    PutFixed64(&plain, first + n - 1);
    for (const auto& r : records) PutLengthPrefixed(&plain, EncodeChangelogRecord(r));
    Write("segment", "plain-" + name, Mode(1, plain));
    Write("segment", "key-" + name, Mode(2, SegmentKey(first, first + n - 1)));
  }
}

void Ssts(ObjectStore* store) {
  int i = 0;
  for (auto compression : {sst::Compression::kNone, sst::Compression::kLz4}) {
    for (int n : {1, 40}) {
      sst::TableBuilderOptions options;
      options.block_size = 256;
      options.restart_interval = 4;
      options.compression = compression;
      std::string key = "data/" + std::to_string(i) + ".sst";
      sst::TableBuilder builder(Must(store->NewWriter(key)), "SST " + key, options);
      for (int j = 0; j < n; ++j) {
        // Repetitive values so that LZ4 pays off.
        Must(builder.Add(sst::MakeInternalKey(1 + j / 20, "key" + std::to_string(1000 + j),
                                              100 - j % 3, sst::ValueKind::kPut),
                         std::string(20, static_cast<char>('a' + j % 26))));
      }
      Must(builder.Finish());
      Write("sst", (compression == sst::Compression::kLz4 ? "lz4-" : "plain-") + std::to_string(n),
            Must(store->Get(key)));
      ++i;
    }
  }
}

void Identities() {
  ClusterIdentity id;
  id.cluster_id = "3c8c0d1e-5a4b-4c3d-9e2f-0123456789ab";
  id.created_ms = 1'700'000'000'000;
  id.meta_store = "sqlite:///var/lib/cairn/meta.db";
  id.created_by = "server";
  Write("identity", "server", EncodeClusterIdentity(id));
  id.created_by = "restore of snapshot 7";
  id.meta_store = "";
  Write("identity", "restore", EncodeClusterIdentity(id));
}

void Leases(ObjectStore* store) {
  ManualClock clock;
  {
    WriterLease lease(store, &clock, "fuzzhost:4242:1", 30'000);
    Must(lease.Acquire());
    Write("lease", "held", Must(store->Get(kWriterLeaseKey)));
    Must(lease.Release());
    Write("lease", "released", Must(store->Get(kWriterLeaseKey)));
  }
  Must(FenceWriterLease(store, "restore of snapshot 7"));
  Write("lease", "fenced", Must(store->Get(kWriterLeaseKey)));
  Write("lease", "pre-generation", R"({"holder":"otherhost:17:2","expires_ms":1700000030000})");
}

void Urls() {
  int i = 0;
  for (const char* url :
       {"fs:///var/lib/cairn/data", "sqlite:///var/lib/cairn/meta.db", "mem://fuzz",
        "postgres://cairn:s%40cret@127.0.0.1:5432/cairn?schema=meta&sslmode=disable",
        "etcd://127.0.0.1:2379/cairn",
        "s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1",
        "postgres://[::1]:5432/db"}) {
    Write("url", "url-" + std::to_string(i++), url);
  }
}

void Pins() {
  std::string rows;
  for (BackupPin pin : {BackupPin{1, 5ull << 16, 10}, BackupPin{2, 9ull << 16, 42},
                        BackupPin{3, 12ull << 16, kPinInProgress}}) {
    rows += PinKey(pin.backup_id) + "\t" + EncodePin(pin) + "\n";
    Write("pins", "pins-" + std::to_string(pin.backup_id), rows);
  }
}

// The crash inputs found so far (each also a GoogleTest next to its module's tests), so
// that every fuzz run replays them first.
void Regressions(ObjectStore* store) {
  // segment, form 1: a name claiming seqs 1..2^62 (records.reserve threw), and
  // 0..2^64-1 with no records (decoded as an empty segment; backup list read .back()).
  std::string plain;
  PutFixed64(&plain, 1);
  PutFixed64(&plain, 1ull << 62);
  PutLengthPrefixed(&plain, EncodeChangelogRecord(Records(1, 1)[0]));
  Write("segment", "regress-huge-range", Mode(1, plain));
  plain.clear();
  PutFixed64(&plain, 0);
  PutFixed64(&plain, ~0ull);
  Write("segment", "regress-no-records", Mode(1, plain));
  // snapshot, form 1: a record whose key length is 1 TiB (the parser buffered forever).
  std::string file = Must(store->Get("snap"));
  plain = file.substr(0, 16 + DecodeFixed32(file.data() + 12));
  PutVarint64(&plain, 1ull << 40);
  plain.append(64, 'x');
  PutFixed64(&plain, 1);
  Write("snapshot", "regress-huge-length", Mode(1, plain));
  // manifest: a number that is no integer (undefined conversion, UBSan).
  Write("manifest", "regress-float", R"({"format_version":1e46,"snapshots":[]})");
  // identity: an optional field of the wrong type (nlohmann's value() threw).
  Write("identity", "regress-mistyped-optional",
        R"({"format_version":1,"cluster_id":"c","created_ms":1,"meta_store":17})");
  // sst: index handle at 2^63 whose end wraps (substr threw std::out_of_range); an LZ4
  // block claiming 1 GiB (allocated before decompressing).
  std::string sst = Must(store->Get("data/0.sst"));
  auto footer = Must(sst::DecodeFooter(sst.substr(sst.size() - sst::kFooterSize), "sst"));
  sst::Footer bad = footer;
  bad.index = {1ull << 63, (1ull << 63) - 3};
  Write("sst", "regress-wrapping-handle",
        sst.substr(0, sst.size() - sst::kFooterSize) + sst::EncodeFooter(bad));
  // data blocks | filter | a properties block that claims 1 GiB | index | footer.
  std::string lz4 = sst.substr(0, footer.filter.offset);
  bad = footer;
  bad.filter.offset = lz4.size();
  lz4 += sst.substr(footer.filter.offset, footer.filter.size + sst::kBlockTrailerSize);
  std::string payload;
  PutVarint64(&payload, 1ull << 30);
  payload += std::string("\x10\x61\x00\x00", 4);
  bad.properties = {lz4.size(), payload.size()};
  lz4 += payload;
  lz4.push_back(static_cast<char>(sst::Compression::kLz4));
  lz4.append(8, '\0');  // the fuzz target recomputes block checksums
  bad.index.offset = lz4.size();
  lz4 += sst.substr(footer.index.offset, footer.index.size + sst::kBlockTrailerSize);
  Write("sst", "regress-lz4-gibibyte", lz4 + sst::EncodeFooter(bad));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus DIR\n";
    return 2;
  }
  root = argv[1];
  auto store = Must(OpenObjectStore("mem://corpus"));
  Snapshots(store.get());
  Manifests();
  Segments();
  Ssts(store.get());
  Identities();
  Leases(store.get());
  Urls();
  Pins();
  Regressions(store.get());
  return 0;
}
