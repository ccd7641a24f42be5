#!/usr/bin/env bash
# The unit tests and the simulator once more under AddressSanitizer + UndefinedBehavior-
# Sanitizer (docs/testing.md), in their own build dir: build-asan, or $CAIRN_ASAN_BUILD_DIR.
# Incremental like build.sh. Any report aborts the test that hit it, so a clean run means
# zero reports. Left out: the end-to-end CLI tests (label e2e: slow under ASan, and the
# code they drive is covered by the unit tests) and the benchmarks (never ctest tests).
# The real-server tests run when $CAIRN_TEST_ENV_FILE names running servers (test.sh
# does that); otherwise they are skipped (CAIRN_TEST_EXTERNAL=0).
#   CAIRN_ASAN_CXX / CAIRN_ASAN_CC   compiler (default clang++/clang when installed, else c++/cc)
#   CAIRN_ASAN_SIM_SEEDS             cairn-sim seeds to run, "1..N" (default 1..100; 0 = none)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${CAIRN_ASAN_BUILD_DIR:-build-asan}
if command -v clang++ >/dev/null; then CXX_DEFAULT=clang++ CC_DEFAULT=clang; else CXX_DEFAULT=c++ CC_DEFAULT=cc; fi
CXX_BIN=${CAIRN_ASAN_CXX:-$CXX_DEFAULT}
CC_BIN=${CAIRN_ASAN_CC:-$CC_DEFAULT}

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_SANITIZE=ON \
  -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_C_COMPILER="$CC_BIN" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target cairn-asan-suite

# halt_on_error: the first report ends the process (the test fails). A test allocating
# more than 1 GiB at once is a size taken from damaged input, not a real need.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:max_allocation_size_mb=1024}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
if [ -z "${CAIRN_TEST_ENV_FILE:-}" ] || [ ! -f "${CAIRN_TEST_ENV_FILE}" ]; then
  echo "test-asan: no test servers (CAIRN_TEST_ENV_FILE): skipping the real-server tests" >&2
  export CAIRN_TEST_EXTERNAL=0
fi

# format_check is not code; *_NOT_BUILT are placeholders for the e2e tests not built here;
# label sim is the long seed range of the plain build (the seeds below replace it).
(cd "$BUILD_DIR" && ctest --output-on-failure -j"$(nproc)" --timeout 900 -LE '^(e2e|sim)$' \
  -E '_NOT_BUILT$|^format_check$')

SEEDS=${CAIRN_ASAN_SIM_SEEDS:-1..100}
SIM="$BUILD_DIR/src/sim/cairn-sim"
if [ "$SEEDS" != 0 ] && [ -x "$SIM" ]; then
  echo "test-asan: cairn-sim --seeds $SEEDS under ASan+UBSan" >&2
  "$SIM" --seeds "$SEEDS" --jobs "$(nproc)" >"$BUILD_DIR/cairn-sim-asan.log" 2>&1 || {
    tail -n 60 "$BUILD_DIR/cairn-sim-asan.log"
    echo "test-asan: cairn-sim failed under ASan+UBSan (full log: $BUILD_DIR/cairn-sim-asan.log)" >&2
    exit 1
  }
  tail -n 1 "$BUILD_DIR/cairn-sim-asan.log"
fi
