#include "json_schema.h"

#include <fstream>
#include <set>

namespace cairn::testing {
namespace {

bool HasType(const nlohmann::json& doc, const std::string& type) {
  if (type == "null") return doc.is_null();
  if (type == "boolean") return doc.is_boolean();
  if (type == "object") return doc.is_object();
  if (type == "array") return doc.is_array();
  if (type == "string") return doc.is_string();
  if (type == "integer") return doc.is_number_integer();
  if (type == "number") return doc.is_number();
  return false;
}

const std::set<std::string> kKnownKeywords = {
    "$schema", "title",   "description",          "type", "properties", "required",
    "items",   "minimum", "additionalProperties", "enum", "anyOf",      "$ref"};

}  // namespace

const nlohmann::json& JsonSchemaValidator::Load(const std::string& name) {
  auto it = loaded_.find(name);
  if (it != loaded_.end()) return it->second;
  std::ifstream in(dir_ + "/" + name);
  nlohmann::json schema = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
  return loaded_.emplace(name, std::move(schema)).first->second;
}

std::vector<std::string> JsonSchemaValidator::Validate(const std::string& name,
                                                       const nlohmann::json& doc) {
  std::vector<std::string> errors;
  const nlohmann::json& schema = Load(name);
  if (!schema.is_object()) return {name + ": missing or not valid JSON"};
  Check(schema, doc, "$", &errors);
  return errors;
}

void JsonSchemaValidator::Check(const nlohmann::json& schema, const nlohmann::json& doc,
                                const std::string& path, std::vector<std::string>* errors) {
  for (const auto& [key, value] : schema.items()) {
    if (!kKnownKeywords.count(key)) errors->push_back(path + ": unsupported keyword " + key);
  }
  if (schema.contains("$ref")) {
    const nlohmann::json& target = Load(schema["$ref"].get<std::string>());
    if (!target.is_object()) {
      errors->push_back(path + ": unresolvable $ref " + schema["$ref"].dump());
      return;
    }
    Check(target, doc, path, errors);
  }
  if (schema.contains("anyOf")) {
    bool any = false;
    for (const auto& option : schema["anyOf"]) {
      std::vector<std::string> sub;
      Check(option, doc, path, &sub);
      any = any || sub.empty();
    }
    if (!any) errors->push_back(path + ": matches no anyOf option: " + doc.dump());
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_string()) {
      types.push_back(schema["type"]);
    } else {
      for (const auto& t : schema["type"]) types.push_back(t);
    }
    bool ok = false;
    for (const auto& t : types) ok = ok || HasType(doc, t);
    if (!ok) {
      errors->push_back(path + ": expected " + schema["type"].dump() + ", got " + doc.dump());
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& v : schema["enum"]) found = found || v == doc;
    if (!found) errors->push_back(path + ": " + doc.dump() + " is not in " + schema["enum"].dump());
  }
  if (schema.contains("minimum") && doc.is_number() &&
      doc.get<double>() < schema["minimum"].get<double>()) {
    errors->push_back(path + ": " + doc.dump() + " is below " + schema["minimum"].dump());
  }
  if (doc.is_object()) {
    for (const auto& field : schema.value("required", nlohmann::json::array())) {
      if (!doc.contains(field.get<std::string>())) {
        errors->push_back(path + ": missing required field " + field.dump());
      }
    }
    const auto properties = schema.value("properties", nlohmann::json::object());
    for (const auto& [key, value] : doc.items()) {
      if (properties.contains(key)) {
        Check(properties[key], value, path + "." + key, errors);
      } else if (schema.contains("additionalProperties") && !schema["additionalProperties"]) {
        errors->push_back(path + ": unexpected field " + key);
      }
    }
  }
  if (doc.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < doc.size(); ++i) {
      Check(schema["items"], doc[i], path + "[" + std::to_string(i) + "]", errors);
    }
  }
}

}  // namespace cairn::testing
