#!/usr/bin/env bash
# README command 1: installs what is missing, builds, and runs `cairn server` on
# embedded defaults (SQLite meta store + fs object store under ./cairn-data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
CAIRN=${CAIRN_BUILD_DIR:-build}/src/cli/cairn
DATA_DIR=${CAIRN_DATA_DIR:-$PWD/cairn-data}
echo "starting cairn server on embedded defaults under $DATA_DIR (SQLite + fs)." >&2
echo "talk to it from another shell: $CAIRN --addr HOST:PORT table create t; $CAIRN --help" >&2
exec "$CAIRN" server --data-dir "$DATA_DIR" "$@"
