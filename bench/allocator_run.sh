#!/usr/bin/env bash
# Measures HEAPAGENT_ALLOCATOR on a native-heap-heavy node workload, on
# demand (never from ctest), and prints a markdown table to paste into
# bench/README.md. bench/js/native_heavy.js (Buffers of 64 B - 256 KiB kept
# in a sliding window and released, zlib gzipSync/gunzipSync and streams)
# runs, in one run of this script, as
#   bare node (glibc)            nothing preloaded
#   heapagent, glibc             LD_PRELOAD=libheapagent.so
#   heapagent, no JS frames      the same with HEAPAGENT_NATIVE_JS_FRAMES=0:
#                                what naming JS callers in native stacks costs
#   heapagent, jemalloc          the same with HEAPAGENT_ALLOCATOR=jemalloc
#   bare node + jemalloc (ref.)  LD_PRELOAD=libjemalloc.so.2, no agent
# with wall time, CPU time and peak RSS from /usr/bin/time, as ratios to the
# bare run of the same round. Rounds are interleaved, so slow drift of the
# machine hits every configuration alike.
#
# Usage: bench/allocator_run.sh [--quick] [--rounds N] [--work ROUNDS_OF_WORK] [--no-build]
#   BUILD_DIR=dir   build tree to use (default: build/ in the repository)
# Progress goes to stderr; stdout is only the report.
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ROUNDS=5
WORK=""   # empty: the script's own default
BUILD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) ROUNDS=2 ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    --work) WORK=${2:?}; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) usage ;;
    *) echo "allocator_run.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done

log() { echo "[bench] $*" >&2; }

# shellcheck source=../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
install_missing_packages libjemalloc2 time >&2

if [[ $BUILD == 1 ]]; then
  [[ -f $BUILD_DIR/CMakeCache.txt ]] || cmake -S "$ROOT" -B "$BUILD_DIR" >&2
  log "building heapagent"
  cmake --build "$BUILD_DIR" -j2 --target heapagent heapagent_jemalloc >&2
fi
AGENT=$BUILD_DIR/libheapagent.so
[[ -f $BUILD_DIR/libheapagent-jemalloc.so ]] ||
  { echo "allocator_run.sh: $BUILD_DIR/libheapagent-jemalloc.so missing: jemalloc mode cannot start" >&2; exit 1; }
JEMALLOC=$(ldconfig -p 2>/dev/null | awk '/libjemalloc\.so\.2 /{print $NF; exit}')
[[ -n $JEMALLOC ]] || { echo "allocator_run.sh: libjemalloc.so.2 not found (apt-get install libjemalloc2)" >&2; exit 1; }
TIME=/usr/bin/time
SCRIPT=$ROOT/bench/js/native_heavy.js
NODE=$(command -v node)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/heapagent-allocator-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

CONFIGS=(bare agent-glibc agent-no-js-frames agent-jemalloc bare-jemalloc)
label() {
  case $1 in
    bare) echo "bare node (glibc)" ;;
    agent-glibc) echo "heapagent, glibc (default)" ;;
    agent-no-js-frames) echo "heapagent, glibc, HEAPAGENT_NATIVE_JS_FRAMES=0" ;;
    agent-jemalloc) echo "heapagent, HEAPAGENT_ALLOCATOR=jemalloc" ;;
    bare-jemalloc) echo "bare node + LD_PRELOAD=libjemalloc.so.2 (ref.)" ;;
  esac
}

# One run under /usr/bin/time: appends "config round wall maxrss_kib cpu".
# The agent runs at its defaults (512 KiB interval, 60 s period: the final
# profile at exit is included). LD_PRELOAD is set by env inside time, so
# only node is preloaded. HEAPAGENT_LOG=info proves which allocator served.
run_one() {
  local config=$1 round=$2 out=$TMP/time.out logfile=$TMP/$1.$2.log
  local -a command
  local agent_env=(LD_PRELOAD="$AGENT" HEAPAGENT_OUTPUT_DIR="$TMP/profiles" HEAPAGENT_LOG=info)
  case $config in
    bare) command=(env "$NODE" "$SCRIPT") ;;
    agent-glibc) command=(env "${agent_env[@]}" "$NODE" "$SCRIPT") ;;
    agent-no-js-frames) command=(env "${agent_env[@]}" HEAPAGENT_NATIVE_JS_FRAMES=0 "$NODE" "$SCRIPT") ;;
    agent-jemalloc) command=(env "${agent_env[@]}" HEAPAGENT_ALLOCATOR=jemalloc "$NODE" "$SCRIPT") ;;
    bare-jemalloc) command=(env LD_PRELOAD="$JEMALLOC" "$NODE" "$SCRIPT") ;;
  esac
  [[ -n $WORK ]] && command+=("$WORK")
  if ! "$TIME" -f '%e %M %U %S' -o "$out" "${command[@]}" >"$logfile" 2>&1; then
    echo "allocator_run.sh: $config failed:" >&2
    tail -20 "$logfile" >&2
    exit 1
  fi
  if [[ $config == agent-jemalloc ]] && ! grep -q 'heapagent: jemalloc .* serves the malloc family' "$logfile"; then
    echo "allocator_run.sh: jemalloc did not take over in the agent-jemalloc run:" >&2
    cat "$logfile" >&2
    exit 1
  fi
  rm -rf "$TMP/profiles"
  echo "$config $round $(tail -1 "$out" | awk '{print $1, $2, $3 + $4}')" >>"$TMP/results"
}

log "warm-up run"
"$NODE" "$SCRIPT" ${WORK:+"$WORK"} >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/results"
for ((round = 1; round <= ROUNDS; round++)); do
  for config in "${CONFIGS[@]}"; do
    log "round $round/$ROUNDS: $config"
    run_one "$config" "$round"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { awk -v c="$1" -v f="$2" '$1 == c {print $f}' "$TMP/results"; }
# Per-round ratio of column $2 of config $1 to bare's.
ratios() {
  awk -v c="$1" -v f="$2" '$1 == c {t[$2] = $f} $1 == "bare" {b[$2] = $f}
    END {for (k in t) if (k in b && b[k] > 0) print t[k] / b[k]}' "$TMP/results"
}

echo "### Allocator: native-heavy node workload"
echo
echo "\`bench/js/native_heavy.js\` on $("$NODE" --version): Buffers of 64 B – 256 KiB (log-uniform) in a 4000-slot sliding window, 6000 per round, plus 20 gzipSync/gunzipSync pairs and one streaming gzip→gunzip of 60 KB per round. $ROUNDS interleaved rounds on $(nproc) CPUs ($(uname -r)); \`/usr/bin/time -f '%e %M %U %S'\`; × bare is the median of per-round ratios."
echo
echo "| Configuration | Wall median (s) | Wall × bare | CPU median (s) | CPU × bare | Peak RSS median (MiB) | Peak RSS × bare |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for config in "${CONFIGS[@]}"; do
  awk -v l="$(label "$config")" -v w="$(field "$config" 3 | median)" -v wq="$(ratios "$config" 3 | median)" \
      -v c="$(field "$config" 5 | median)" -v cq="$(ratios "$config" 5 | median)" \
      -v m="$(field "$config" 4 | median)" -v mq="$(ratios "$config" 4 | median)" \
    'BEGIN {printf "| %s | %.2f | %.3f× | %.2f | %.3f× | %.1f | %.3f× |\n", l, w, wq, c, cq, m / 1024, mq}'
done
echo
echo "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER."
