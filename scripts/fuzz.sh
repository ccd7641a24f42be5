#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan+UBSan) into build-fuzz (or
# $CAIRN_FUZZ_BUILD_DIR), incrementally, and runs each for $CAIRN_FUZZ_SECONDS seconds
# (default 60) from seed $CAIRN_FUZZ_SEED (default 1),
# $CAIRN_FUZZ_JOBS at a time (default: the number of cores), starting from
# its seed corpus fuzz/corpus/<target>/ (read only: new inputs go to a scratch dir).
# Fails when any target crashes, leaks, times out (one input > 25 s) or allocates more
# than 512 MiB at once; the input is kept as BUILD_DIR/fuzz-out/<target>/crash-* and the
# line to replay it is printed. See docs/testing.md.
# Usage: scripts/fuzz.sh [TARGET...]   (default: every target in fuzz/CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${CAIRN_FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${CAIRN_FUZZ_SECONDS:-60}
JOBS=${CAIRN_FUZZ_JOBS:-$(nproc)}
# A fixed seed (default 1) makes a run replayable: the same seed explores the same inputs
# in the same order, so CI and a laptop agree; CAIRN_FUZZ_SEED=0 lets libFuzzer pick one.
SEED=${CAIRN_FUZZ_SEED:-1}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  read -r -a targets < <(sed -n 's/^set(CAIRN_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/CMakeLists.txt)
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"

OUT="$ROOT/$BUILD_DIR/fuzz-out"
run_one() {
  local t=$1 dir="$OUT/$1"
  rm -rf "$dir" && mkdir -p "$dir/corpus"
  # -rss_limit_mb: the whole process; -malloc_limit_mb: one allocation.
  "$ROOT/$BUILD_DIR/fuzz/${t}_fuzzer" -max_total_time="$SECONDS_EACH" -seed="$SEED" -timeout=25 \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus" "$ROOT/fuzz/corpus/$t" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  (set +e; run_one "$t") &
done
wait
failed=()
for t in "${targets[@]}"; do
  if [ "$(cat "$OUT/$t/rc" 2>/dev/null)" = 0 ]; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t/log" | tail -n 1)
    echo "fuzz $t: ${runs:-?} inputs in ${SECONDS_EACH} s, no crash"
  else
    failed+=("$t")
    echo "fuzz $t: FAILED" >&2
    grep -E 'ERROR|SUMMARY|runtime error|violated|Test unit written' "$OUT/$t/log" | head -n 20 >&2 || true
    for crash in "$OUT/$t"/crash-* "$OUT/$t"/leak-* "$OUT/$t"/timeout-* "$OUT/$t"/oom-*; do
      [ -e "$crash" ] && echo "  replay: $BUILD_DIR/fuzz/${t}_fuzzer $crash" >&2
    done
    echo "  full log: $BUILD_DIR/fuzz-out/$t/log" >&2
  fi
done
# The closing line in the plain "N passed, N failed" form CI reads.
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
  echo "fuzz targets that failed: ${failed[*]}" >&2
  exit 1
fi
