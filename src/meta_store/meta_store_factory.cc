#include <functional>

#include "common/url.h"
#include "meta_store/etcd_meta_store.h"
#include "meta_store/mem_meta_store.h"
#include "meta_store/meta_store.h"
#include "meta_store/postgres_meta_store.h"
#include "meta_store/sqlite_meta_store.h"

namespace cairn {
namespace {

using OpenFn =
    std::function<Result<std::unique_ptr<MetaStore>>(const Url&, const MetaStoreOptions&)>;

struct Backend {
  const char* scheme;
  OpenFn open;
};

// One row per URL scheme. postgres:// and etcd:// are added here by their backends
// (postgres_meta_store.h, etcd_meta_store.h).
const std::vector<Backend>& Backends() {
  static const auto* backends = new std::vector<Backend>{
      {"sqlite", SqliteMetaStore::Open},
      {"postgres", PostgresMetaStore::Open},
      {"etcd", EtcdMetaStore::Open},
      {"mem", [](const Url& url, const MetaStoreOptions&) { return MemMetaStore::Open(url); }},
  };
  return *backends;
}

}  // namespace

Result<std::unique_ptr<MetaStore>> OpenMetaStore(std::string_view url_text,
                                                 const MetaStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(Url url, Url::Parse(url_text));
  std::string known;
  for (const Backend& backend : Backends()) {
    if (url.scheme == backend.scheme) {
      return backend.open(url, options);
    }
    known += (known.empty() ? "" : ", ") + std::string(backend.scheme) + "://";
  }
  return Status::InvalidArgument("unknown meta store URL scheme '" + url.scheme + "' in '" +
                                 url.Redacted() + "'; known schemes: " + known);
}

}  // namespace cairn
