#include "meta_store/etcd_layout.h"

#include "meta_store/store_util.h"

namespace cairn {
namespace {

constexpr size_t kRevisionBytes = 8;

// Removes `key` from every delete range (a later put of it wins over them).
void CarveOut(const std::string& key, std::vector<EtcdWrites::Range>* deletes) {
  std::vector<EtcdWrites::Range> out;
  const std::string after = key + std::string(1, '\0');
  for (EtcdWrites::Range& r : *deletes) {
    if (!KeyInRange(key, r.begin, r.end)) {
      out.push_back(std::move(r));
      continue;
    }
    if (r.begin < key) out.push_back({r.begin, key});
    if (r.end.empty() || after < r.end) out.push_back({after, r.end});
  }
  *deletes = std::move(out);
}

}  // namespace

EtcdLayout::EtcdLayout(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (!path.empty()) prefix_ = std::string(path) + "/";
  data_ = prefix_ + "d/";
}

std::string EtcdLayout::DataEnd(std::string_view end) const {
  return end.empty() ? PrefixEnd(data_) : DataKey(end);
}

Result<std::string> EtcdLayout::CairnKey(std::string_view etcd_key) const {
  if (etcd_key.substr(0, data_.size()) != data_) {
    return Status::Corruption("etcd returned key " + EscapeKey(etcd_key) + " outside prefix " +
                              EscapeKey(data_));
  }
  return std::string(etcd_key.substr(data_.size()));
}

std::string EncodeEtcdValue(int64_t mod_revision, std::string_view value) {
  std::string out;
  out.reserve(kRevisionBytes + value.size());
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(static_cast<uint64_t>(mod_revision) >> shift));
  }
  out.append(value);
  return out;
}

Result<KeyValue> DecodeEtcdValue(std::string key, std::string_view stored) {
  if (stored.size() < kRevisionBytes) {
    return Status::Corruption("etcd value of meta key " + EscapeKey(key) + " is " +
                              std::to_string(stored.size()) +
                              " bytes, too short for its revision (written by another program?)");
  }
  uint64_t revision = 0;
  for (size_t i = 0; i < kRevisionBytes; ++i) {
    revision = (revision << 8) | static_cast<unsigned char>(stored[i]);
  }
  return KeyValue{std::move(key), std::string(stored.substr(kRevisionBytes)),
                  static_cast<int64_t>(revision)};
}

EtcdWrites NetEffect(const std::vector<Op>& ops) {
  EtcdWrites w;
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::kPut:
        if (!w.deletes.empty()) CarveOut(op.key, &w.deletes);
        w.puts[op.key] = op.value;
        break;
      case Op::Kind::kDelete:
        w.puts.erase(op.key);
        w.deletes.push_back({op.key, op.key + std::string(1, '\0')});
        break;
      case Op::Kind::kDeleteRange: {
        if (!op.end.empty() && op.end <= op.key) break;  // empty range
        auto first = w.puts.lower_bound(op.key);
        auto last = op.end.empty() ? w.puts.end() : w.puts.lower_bound(op.end);
        w.puts.erase(first, last);
        w.deletes.push_back({op.key, op.end});
        break;
      }
    }
  }
  return w;
}

}  // namespace cairn
