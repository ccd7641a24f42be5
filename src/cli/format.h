// Output formatting shared by the CLI commands: byte escaping for KEY<TAB>VALUE lines
// and JSON printing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cli {

// Printable ASCII except '\' passes through; '\' becomes "\\" and every other byte
// (tab, newline, non-ASCII) becomes \xNN, so one row is always one line.
std::string EscapeBytes(std::string_view bytes);

// Inverse of EscapeBytes for command-line input: "\xNN" and "\\" are decoded, other
// text is taken literally.
std::string UnescapeBytes(std::string_view text);

// Writes `json` and a newline to stdout.
void PrintJson(const nlohmann::json& json);

// Binary units with one decimal: "0 B", "812 B", "1.2 KiB", "3.0 MiB", "1.5 GiB".
std::string HumanBytes(uint64_t bytes);

// Prints `header` and `rows` as columns separated by two spaces, each as wide as its
// widest cell (the last column unpadded).
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace cairn::cli
