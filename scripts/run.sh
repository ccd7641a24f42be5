#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs `cairn server` on
# embedded defaults (SQLite meta store + fs object store under ./cairn-data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/src/cli/cairn server --data-dir "${CAIRN_DATA_DIR:-$PWD/cairn-data}" "$@"
