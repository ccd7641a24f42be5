// SHA-256 (FIPS 180-4), self-contained so password hashing needs no crypto library.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cairn {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

}  // namespace cairn
