#!/usr/bin/env bash
# Fails when any C++ source differs from .clang-format. Fix with:
#   git ls-files '*.h' '*.cc' | xargs clang-format -i
set -euo pipefail
CLANG_FORMAT=${1:-clang-format}
cd "$(dirname "$0")/.."
files=$(find src tests bench fuzz -name '*.h' -o -name '*.cc' | sort)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
$CLANG_FORMAT --dry-run --Werror $files
