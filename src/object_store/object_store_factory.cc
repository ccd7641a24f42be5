// OpenObjectStore: picks the implementation by URL scheme.
#include <sys/stat.h>

#include <cerrno>

#include "common/url.h"
#include "object_store/fs_object_store.h"
#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"
#include "object_store/s3_object_store.h"

namespace cairn {

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url_text,
                                                     const ObjectStoreOptions& options) {
  CAIRN_ASSIGN_OR_RETURN(Url url, Url::Parse(url_text));
  if (url.scheme == "fs") return OpenFsObjectStore(url, options);
  if (url.scheme == "mem") return OpenMemObjectStore(url, options);
  if (url.scheme == "s3") return OpenS3ObjectStore(url_text, options);
  return Status::InvalidArgument("unsupported object store URL '" + url.Redacted() +
                                 "': unknown scheme '" + url.scheme +
                                 "' (known: fs:///abs/dir, mem://name, "
                                 "s3://bucket/prefix?endpoint=URL&region=R)");
}

bool ObjectStoreRootMissing(std::string_view url_text) {
  auto url = Url::Parse(url_text);
  if (!url.ok() || url->scheme != "fs") return false;
  auto path = url->AbsolutePath();
  struct stat st;
  return path.ok() && stat(path->c_str(), &st) != 0 && errno == ENOENT;
}

}  // namespace cairn
