// Output formatting shared by the CLI commands: byte escaping for KEY<TAB>VALUE lines
// and JSON printing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cairn::cli {

// Printable ASCII except '\' passes through; '\' becomes "\\" and every other byte
// (tab, newline, non-ASCII) becomes \xNN, so one row is always one line.
std::string EscapeBytes(std::string_view bytes);

// Inverse of EscapeBytes for command-line input: "\xNN" and "\\" are decoded, other
// text is taken literally.
std::string UnescapeBytes(std::string_view text);

// Writes `json` and a newline to stdout.
void PrintJson(const nlohmann::json& json);

}  // namespace cairn::cli
