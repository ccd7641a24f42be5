// Logging to stderr through spdlog. Never log secrets: use RedactUrl for URLs.
#pragma once

#include <spdlog/spdlog.h>

namespace cairn {

// Configures the default logger to write to stderr at `level` ("info", "debug", ...).
void InitLogging(const std::string& level = "info");

}  // namespace cairn

#define CAIRN_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define CAIRN_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define CAIRN_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
#define CAIRN_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
