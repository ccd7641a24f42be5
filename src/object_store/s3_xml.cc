#include "object_store/s3_xml.h"

#include <charconv>
#include <pugixml.hpp>

#include "object_store/s3_util.h"

namespace cairn {
namespace {

bool Load(std::string_view xml, pugi::xml_document* doc) {
  return doc->load_buffer(xml.data(), xml.size()).status == pugi::status_ok;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Result<ObjectMeta> ParseContents(const pugi::xml_node& node) {
  ObjectMeta meta;
  meta.key = node.child_value("Key");
  std::string_view size = node.child_value("Size");
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), meta.size);
  if (meta.key.empty() || ec != std::errc() || end != size.data() + size.size()) {
    return Status::Corruption("malformed S3 listing entry for key '" + meta.key + "'");
  }
  CAIRN_ASSIGN_OR_RETURN(meta.mtime_ms, ParseIso8601Millis(node.child_value("LastModified")));
  return meta;
}

}  // namespace

S3ErrorBody ParseS3Error(std::string_view xml) {
  pugi::xml_document doc;
  S3ErrorBody error;
  if (!Load(xml, &doc)) return error;
  pugi::xml_node node = doc.child("Error");
  error.code = node.child_value("Code");
  error.message = node.child_value("Message");
  return error;
}

Result<S3ListResult> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  if (!Load(xml, &doc) || !(root = doc.child("ListBucketResult"))) {
    return Status::Corruption("malformed S3 ListObjectsV2 response");
  }
  S3ListResult result;
  for (pugi::xml_node node : root.children("Contents")) {
    CAIRN_ASSIGN_OR_RETURN(ObjectMeta meta, ParseContents(node));
    result.objects.push_back(std::move(meta));
  }
  if (std::string_view(root.child_value("IsTruncated")) == "true") {
    result.next_token = root.child_value("NextContinuationToken");
    if (result.next_token.empty()) {
      return Status::Corruption("S3 listing is truncated but has no NextContinuationToken");
    }
  }
  return result;
}

Result<std::string> ParseUploadId(std::string_view xml) {
  pugi::xml_document doc;
  std::string id;
  if (Load(xml, &doc)) id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return Status::Corruption("S3 CreateMultipartUpload response has no UploadId");
  return id;
}

std::string CompleteMultipartXml(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           XmlEscape(etags[i]) + "</ETag></Part>";
  }
  return xml + "</CompleteMultipartUpload>";
}

}  // namespace cairn
