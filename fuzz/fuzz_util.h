// Helpers shared by the libFuzzer targets in fuzz/ (docs/testing.md "Fuzzing").
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "object_store/mem_object_store.h"
#include "object_store/object_store.h"

namespace cairn::fuzz {

inline std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Logging off: the code under test warns about the damage the fuzzer makes.
inline void Quiet() { spdlog::set_level(spdlog::level::off); }

// A property the target checks does not hold: report it as a crash.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}

// An empty mem:// store for one input (the objects of the previous input are dropped).
inline std::unique_ptr<ObjectStore> FreshStore(std::string_view name) {
  DropMemObjectStore(name);
  auto store = OpenObjectStore("mem://" + std::string(name));
  if (!store.ok()) Fail("cannot open mem://" + std::string(name));
  return std::move(store).value();
}

// Splits the first byte off as a mode selector; empty inputs have mode 0.
inline uint8_t TakeMode(std::string_view* in) {
  if (in->empty()) return 0;
  uint8_t mode = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  return mode;
}

}  // namespace cairn::fuzz
