#!/usr/bin/env bash
# Long simulation run (docs/simulation.md): 100,000 seeds of cairn-sim in chunks, one
# chunk per core at a time. Prints every violation (with its reproduce line) and the
# totals; exits 1 if any seed found a violation.
#   scripts/sim-long.sh [SEEDS] [FIRST]      defaults: 100000 seeds from seed 1
# Env: CAIRN_BUILD_DIR (build), SIM_CHUNK (2000 seeds per chunk), SIM_JOBS (nproc),
#      SIM_STEPS (the binary's default), SIM_ARGS (extra cairn-sim arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-100000}
FIRST=${2:-1}
BUILD_DIR=${CAIRN_BUILD_DIR:-build}
SIM="$BUILD_DIR/src/sim/cairn-sim"
CHUNK=${SIM_CHUNK:-2000}
JOBS=${SIM_JOBS:-$(nproc)}
[ -x "$SIM" ] || { echo "error: $SIM not built (cmake --build $BUILD_DIR --target cairn-sim)" >&2; exit 2; }
STEPS_ARG=()
[ -n "${SIM_STEPS:-}" ] && STEPS_ARG=(--steps "$SIM_STEPS")
# shellcheck disable=SC2206
EXTRA=(${SIM_ARGS:-})

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
LAST=$((FIRST + SEEDS - 1))
start=$(date +%s)
chunks=()
for ((a = FIRST; a <= LAST; a += CHUNK)); do
  b=$((a + CHUNK - 1))
  ((b > LAST)) && b=$LAST
  chunks+=("$a..$b")
done
# Each chunk runs single-threaded; JOBS chunks run at once.
printf '%s\n' "${chunks[@]}" |
  xargs -P "$JOBS" -I{} sh -c \
    'sim=$0 range=$1 out=$2; shift 2; "$sim" --seeds "$range" --jobs 1 "$@" > "$out/$(echo "$range" | tr . _).out" 2>&1 || true' \
    "$SIM" {} "$OUT" "${STEPS_ARG[@]}" "${EXTRA[@]}"
elapsed=$(( $(date +%s) - start ))

violations=0
seeds=0
for f in "$OUT"/*.out; do
  grep -q 'VIOLATION' "$f" && sed -n '/VIOLATION/,/^reproduce:/p' "$f"
  line=$(tail -n 1 "$f")
  if [[ $line =~ ^([0-9]+)\ seeds,\ ([0-9]+)\ violations$ ]]; then
    seeds=$((seeds + BASH_REMATCH[1]))
    violations=$((violations + BASH_REMATCH[2]))
  else
    echo "error: a chunk did not finish: $f: $line" >&2
    violations=$((violations + 1))
  fi
done
rate=$(( elapsed > 0 ? seeds / elapsed : seeds ))
echo "sim-long: $seeds seeds in ${elapsed}s ($rate seeds/s on $JOBS jobs)"
echo "$seeds seeds, $violations violations"
[ "$violations" -eq 0 ]
