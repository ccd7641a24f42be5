#!/usr/bin/env bash
# README command 1: installs what is missing, builds, installs `cairn` on the PATH
# (/usr/local/bin when writable, else a symlink in ~/.local/bin), and runs `cairn server`
# on embedded defaults (SQLite meta store + fs object store under ./cairn-data). Once
# the server listens, prints the line to paste into another shell.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${CAIRN_BUILD_DIR:-build}
PREFIX=${CAIRN_INSTALL_PREFIX:-/usr/local}
if [ -w "$PREFIX/bin" ] || { [ ! -e "$PREFIX/bin" ] && [ -w "$PREFIX" ]; }; then
  cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
  CAIRN=$PREFIX/bin/cairn
else
  mkdir -p "$HOME/.local/bin"
  ln -sf "$PWD/$BUILD_DIR/src/cli/cairn" "$HOME/.local/bin/cairn"
  CAIRN=$HOME/.local/bin/cairn
fi
case ":$PATH:" in
  *":$(dirname "$CAIRN"):"*) ;;
  *) echo "note: add $(dirname "$CAIRN") to PATH to run 'cairn' by name" >&2 ;;
esac
DATA_DIR=${CAIRN_DATA_DIR:-$PWD/cairn-data}
echo "installed $CAIRN; starting cairn server on embedded defaults under $DATA_DIR (SQLite + fs)." >&2
# The server's stdout passes through; its "listening on HOST:PORT" line becomes the hint.
"$CAIRN" server --data-dir "$DATA_DIR" "$@" | while IFS= read -r line; do
  echo "$line"
  case "$line" in
    "listening on "*)
      echo "talk to it from another shell: export CAIRN_ADDR=${line#listening on }; cairn table create t" >&2
      ;;
  esac
done
