#!/usr/bin/env bash
# Installs every Debian package cairn builds and tests with, the npm S3 server used
# by the real-backend tests and playwright-core for the browser test. Idempotent:
# skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config git clang-format
  libsqlite3-dev libpq-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libcurl4-openssl-dev libssl-dev libpugixml-dev libcli11-dev libspdlog-dev libfmt-dev
  libzstd-dev liblz4-dev libxxhash-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev librocksdb-dev librapidcheck-dev
  postgresql etcd-server nodejs npm curl procps
  # The web console's browser test (tests/browser/): headless Chromium.
  chromium
  # The security tests make a throwaway CA with the openssl CLI.
  openssl
  # Sanitizer build and fuzzing (scripts/test-asan.sh, scripts/fuzz.sh): clang, its
  # ASan/UBSan/libFuzzer runtimes, and llvm-symbolizer for readable reports.
  clang libclang-rt-14-dev llvm
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # A node from elsewhere (e.g. NodeSource) bundles npm and conflicts with Debian's.
  if [[ $pkg == nodejs || $pkg == npm ]] && command -v "${pkg/nodejs/node}" >/dev/null; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# s3rver: a local S3-compatible server for the S3 object store tests.
if [ ! -x tools/node_modules/.bin/s3rver ]; then
  mkdir -p tools
  (cd tools && npm install --no-audit --no-fund --loglevel=error s3rver@3.7.1)
fi
# playwright-core drives Debian's chromium in the web console's browser test
# (tests/browser/console_test.js); it downloads no browser of its own.
if [ ! -f tools/node_modules/playwright-core/package.json ]; then
  mkdir -p tools
  (cd tools && npm install --no-audit --no-fund --loglevel=error playwright-core@1.65.1)
fi
