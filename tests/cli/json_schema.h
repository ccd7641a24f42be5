// A validator for the subset of JSON Schema that docs/schema/*.json use: type (one or a
// list), properties, required, additionalProperties (boolean), items, enum, minimum,
// anyOf, and $ref to another file of the same directory. Anything else in a schema is
// reported as unsupported, so a schema cannot silently check less than it says.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cairn::testing {

class JsonSchemaValidator {
 public:
  explicit JsonSchemaValidator(std::string schema_dir) : dir_(std::move(schema_dir)) {}

  // Errors ("$.backups[0].id: expected integer, got string"); empty when `doc` is valid
  // against the schema file `name` (e.g. "backup-list.json").
  std::vector<std::string> Validate(const std::string& name, const nlohmann::json& doc);

 private:
  const nlohmann::json& Load(const std::string& name);
  void Check(const nlohmann::json& schema, const nlohmann::json& doc, const std::string& path,
             std::vector<std::string>* errors);

  std::string dir_;
  std::map<std::string, nlohmann::json> loaded_;
};

}  // namespace cairn::testing
