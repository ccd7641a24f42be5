#!/usr/bin/env bash
# README command 2: installs what is missing, builds, starts the servers the tests use
# (PostgreSQL, etcd, s3rver), runs every test with ctest, and stops the servers even
# on failure; then the ASan+UBSan run and the fuzzers. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${CAIRN_BUILD_DIR:-build}
if [ -x scripts/test-servers.sh ]; then
  # test-servers.sh start writes the env file the tests read; stop runs on any exit.
  export CAIRN_TEST_ENV_FILE="$PWD/$BUILD_DIR/test-servers.env"
  # Absolute path: the trap runs after the cd into the build dir below.
  trap '"$ROOT/scripts/test-servers.sh" stop "$CAIRN_TEST_ENV_FILE" || true' EXIT
  "$ROOT/scripts/test-servers.sh" start "$CAIRN_TEST_ENV_FILE"
fi
(cd "$BUILD_DIR" && ctest --output-on-failure -j"$(nproc)" --timeout 900)
# Then the unit tests and the simulator once more under ASan+UBSan (build-asan; the
# servers above are still up for its real-server tests), and every fuzz target for
# $CAIRN_FUZZ_SECONDS (60) s each (build-fuzz). docs/testing.md says what each runs.
# CAIRN_TEST_ASAN=0 / CAIRN_TEST_FUZZ=0 leave a stage out in a quick local loop.
if [ "${CAIRN_TEST_ASAN:-1}" != 0 ]; then scripts/test-asan.sh; fi
if [ "${CAIRN_TEST_FUZZ:-1}" != 0 ]; then scripts/fuzz.sh; fi
