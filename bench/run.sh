#!/usr/bin/env bash
# Measures what heap profiling costs a native workload, on demand (never from
# ctest), and prints markdown tables to paste into a README:
#   1. native_alloc_workload bare (glibc), under heapagent at its default
#      interval, under heaptrack, under jemalloc with profiling at the same
#      512 KiB mean interval, and under plain jemalloc for reference;
#   2. hot_path_bench: ns per malloc+free pair, bare vs heapagent.
# Every configuration runs once per round and rounds are interleaved, so slow
# drift of the machine (thermal, other tenants) hits all of them alike.
#
# Usage: bench/run.sh [--quick] [--rounds N] [--ops OPS_PER_THREAD]
#   BUILD_DIR=dir   build tree to use (default: build/ in the repository)
# Progress goes to stderr; stdout is only the report.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ROUNDS=5           # workload rounds
GB_ROUNDS=3        # hot_path_bench rounds (each is a full benchmark run)
GB_MIN_TIME=0.5    # seconds per benchmark per run
OPS=""             # empty: the workload's own default (~2 s bare)
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) ROUNDS=2; GB_ROUNDS=1; GB_MIN_TIME=0.2 ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    --ops) OPS=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done

log() { echo "[bench] $*" >&2; }

# The comparison points: heaptrack, jemalloc (built with profiling in
# Debian) and GNU time, from Debian, when missing.
# shellcheck source=../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
install_missing_packages heaptrack libjemalloc2 time libbenchmark-dev >&2

# --- Build (incremental; a no-op when everything is up to date) -------------
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
  log "configuring $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" >&2
fi
# Target names are matched on a captured list: grep -q closing the pipe early
# would fail the pipeline under pipefail.
targets() { cmake --build "$BUILD_DIR" --target help 2>/dev/null || true; }
if [[ $(targets) != *native_alloc_workload* ]]; then
  # A tree configured with -DHEAPAGENT_BUILD_BENCH=OFF: switch it on (this
  # only adds the two bench targets to that tree).
  log "enabling HEAPAGENT_BUILD_BENCH in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DHEAPAGENT_BUILD_BENCH=ON >&2
  if [[ $(targets) != *native_alloc_workload* ]]; then
    echo "run.sh: $BUILD_DIR builds no benchmarks (sanitizer build or HEAPAGENT_BUILD_AGENT=OFF?);" \
         "use BUILD_DIR=<another directory>" >&2
    exit 1
  fi
fi
log "building heapagent and the benchmarks"
cmake --build "$BUILD_DIR" -j2 --target heapagent native_alloc_workload >&2
# hot_path_bench exists only when Google Benchmark was found at configure time.
HAVE_GB=0
if [[ $(targets) == *hot_path_bench* ]]; then
  cmake --build "$BUILD_DIR" -j2 --target hot_path_bench >&2
  HAVE_GB=1
fi

AGENT=$BUILD_DIR/libheapagent.so
WORKLOAD=$BUILD_DIR/bench/native_alloc_workload
HOT=$BUILD_DIR/bench/hot_path_bench
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "run.sh: $TIME missing (apt-get install time)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/heapagent-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

NOTES=()
note() { NOTES+=("$*"); }

# --- Which configurations can run here --------------------------------------
CONFIGS=(bare heapagent)
JEMALLOC=""
for candidate in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 \
                 "$(ldconfig -p 2>/dev/null | awk '/libjemalloc\.so\.2 /{print $NF; exit}')"; do
  if [[ -n $candidate && -f $candidate ]]; then JEMALLOC=$candidate; break; fi
done
if command -v heaptrack >/dev/null; then
  CONFIGS+=(heaptrack)
else
  note "heaptrack not installed: row skipped (apt-get install heaptrack)."
fi
if [[ -n $JEMALLOC ]]; then
  # Distributions may build jemalloc without --enable-prof; then it rejects
  # prof:true ("Invalid conf pair") and would silently run unprofiled. Ask for
  # a final dump to prove that profiling really happens.
  env LD_PRELOAD="$JEMALLOC" MALLOC_CONF="prof:true,prof_final:true,prof_prefix:$WORK/jeprof" \
    "$WORKLOAD" 1000 2>"$WORK/jeprof.err" || true
  if grep -q 'Invalid conf' "$WORK/jeprof.err" || ! compgen -G "$WORK/jeprof*.heap" >/dev/null; then
    note "jemalloc at $JEMALLOC rejects prof:true (built without --enable-prof): jemalloc+prof row skipped. $(head -c 200 "$WORK/jeprof.err")"
  else
    CONFIGS+=(jemalloc-prof)
  fi
  CONFIGS+=(jemalloc)
else
  note "libjemalloc.so.2 not found: jemalloc rows skipped (apt-get install libjemalloc2)."
fi

label() {
  case $1 in
    bare) echo "bare (glibc malloc)" ;;
    heapagent) echo "heapagent (512 KiB interval)" ;;
    heaptrack) echo "heaptrack (recording, no analysis)" ;;
    jemalloc-prof) echo "jemalloc prof, lg_prof_sample:19" ;;
    jemalloc) echo "jemalloc, no profiling (ref.)" ;;
  esac
}

# Runs one configuration once under /usr/bin/time; appends "config round
# wall_s maxrss_kib cpu_s" to results. CPU (user+sys, all threads and
# children) is reported next to wall time because it moves less when other
# tenants share the machine, and it shows work the agent does off the
# workload's threads. LD_PRELOAD is set by env *inside* time, so only the
# workload is preloaded, never time itself.
run_workload() {
  local config=$1 round=$2
  local out=$WORK/time.out logfile=$WORK/$config.$round.log
  local -a command
  case $config in
    bare) command=(env "$WORKLOAD") ;;
    heapagent)
      command=(env LD_PRELOAD="$AGENT" HEAPAGENT_PROCESS='*' HEAPAGENT_OUTPUT_DIR="$WORK/heapagent"
               HEAPAGENT_PERIOD=60 "$WORKLOAD") ;;
    # The heaptrack script records through heaptrack_interpret | zstd and
    # waits for both: that is the recording. No GUI is installed, so it does
    # not start an analysis.
    heaptrack) command=(heaptrack -o "$WORK/ht" "$WORKLOAD") ;;
    jemalloc-prof) command=(env LD_PRELOAD="$JEMALLOC" MALLOC_CONF=prof:true,lg_prof_sample:19 "$WORKLOAD") ;;
    jemalloc) command=(env LD_PRELOAD="$JEMALLOC" "$WORKLOAD") ;;
  esac
  [[ -n $OPS ]] && command+=("$OPS")
  if ! "$TIME" -f '%e %M %U %S' -o "$out" "${command[@]}" >"$logfile" 2>&1; then
    echo "run.sh: $config run failed:" >&2
    tail -20 "$logfile" >&2
    cat "$out" >&2
    exit 1
  fi
  echo "$config $round $(tail -1 "$out" | awk '{print $1, $2, $3 + $4}')" >>"$WORK/results"
  # Keep the disk and page cache quiet for the next run (heaptrack writes
  # ~200 MiB per run).
  if [[ $config == heaptrack ]]; then rm -f "$WORK"/ht.*; sync; fi
}

# --- Workload rounds -----------------------------------------------------------
# The warm-up run also reports how many operations the workload performs.
log "warm-up run"
TOTAL_OPS=$("$WORKLOAD" ${OPS:+"$OPS"} --checksum 2>&1 | awk '{print $4}')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/results"
for ((round = 1; round <= ROUNDS; round++)); do
  for config in "${CONFIGS[@]}"; do
    log "round $round/$ROUNDS: $config"
    run_workload "$config" "$round"
  done
done
if ! compgen -G "$WORK/heapagent/*" >/dev/null; then
  note "heapagent wrote no profile into HEAPAGENT_OUTPUT_DIR: it may not have been active, so its row may measure nothing."
fi

# Median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { awk -v c="$1" -v f="$2" '$1 == c {print $f}' "$WORK/results"; }   # config, column
# Per-round ratio of column $3 (default: wall) of config $1 to config $2.
ratios() {
  awk -v c="$1" -v r="$2" -v f="${3:-3}" '$1 == c {t[$2] = $f} $1 == r {b[$2] = $f}
    END {for (k in t) if (k in b && b[k] > 0) print t[k] / b[k]}' "$WORK/results"
}

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
note "Load average before/after the workload rounds: $LOAD_BEFORE / $LOAD_AFTER (a busy machine widens the min–max ranges; CPU time is less sensitive to it than wall time)."
BARE_RSS=$(field bare 4 | median)
echo "### Native allocation workload"
echo
echo "\`native_alloc_workload\`: 2 threads, ${TOTAL_OPS} malloc/calloc/realloc+free operations in all (4096-slot live ring per thread, 16 B–4 KiB log-uniform, 1/1000 of 64 KiB–1 MiB, ~10% calloc, ~10% realloc)."
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
echo "$ROUNDS interleaved rounds on $(nproc) CPUs ($(uname -r)), ${BUILD_TYPE:-default} build; wall, CPU (user+sys) and peak RSS from \`/usr/bin/time -f '%e %U %S %M'\`; × bare is the median of per-round ratios."
echo
echo "| Configuration | Wall median (s) | Wall × bare | Wall min–max (s) | CPU median (s) | CPU × bare | Peak RSS median (MiB) | Δ RSS vs bare (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for config in "${CONFIGS[@]}"; do
  wall=$(field "$config" 3 | median)
  ratio=$(ratios "$config" bare | median)
  range=$(field "$config" 3 | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f–%.2f", lo, hi}')
  cpu=$(field "$config" 5 | median)
  cpu_ratio=$(ratios "$config" bare 5 | median)
  rss=$(field "$config" 4 | median)
  awk -v l="$(label "$config")" -v w="$wall" -v q="$ratio" -v r="$range" -v c="$cpu" -v cq="$cpu_ratio" \
      -v m="$rss" -v b="$BARE_RSS" \
    'BEGIN {printf "| %s | %.2f | %.3f× | %s | %.2f | %.3f× | %.1f | %+.1f |\n", l, w, q, r, c, cq, m / 1024, (m - b) / 1024}'
done
echo

AGENT_RATIO=$(ratios heapagent bare | median)
AGENT_DRSS=$(awk -v m="$(field heapagent 4 | median)" -v b="$BARE_RSS" 'BEGIN {print (m - b) / 1024}')
note "$(awk -v q="$AGENT_RATIO" -v d="$AGENT_DRSS" 'BEGIN {
  printf "heapagent against the targets (≤ 1.05× bare time, ≤ 5 MiB extra RSS): %.3f× (%s), %+.1f MiB (%s).",
    q, (q <= 1.05 ? "met" : "ABOVE target"), d, (d <= 5 ? "met" : "ABOVE target")}')"
if [[ " ${CONFIGS[*]} " == *" jemalloc-prof "* ]]; then
  note "$(awk -v q="$(ratios jemalloc-prof jemalloc | median)" 'BEGIN {printf "jemalloc profiling costs %.3f× over jemalloc without profiling.", q}')"
fi
note "heapagent's time includes writing its final profile at exit (snapshot, symbolization, gzip), as a real process would pay it."
[[ " ${CONFIGS[*]} " == *" heaptrack "* ]] &&
  note "heaptrack's peak RSS is the largest process of its tree (the workload or heaptrack_interpret); its time includes interpreting and compressing the trace, which the recording waits for."

# --- Hot path: ns per malloc+free pair ----------------------------------------
if [[ $HAVE_GB == 1 ]]; then
  : >"$WORK/gb"
  for ((round = 1; round <= GB_ROUNDS; round++)); do
    for config in bare heapagent; do
      log "hot_path_bench round $round/$GB_ROUNDS: $config"
      preload=()
      [[ $config == heapagent ]] &&
        preload=(LD_PRELOAD="$AGENT" HEAPAGENT_PROCESS='*' HEAPAGENT_OUTPUT_DIR="$WORK/heapagent-gb" HEAPAGENT_PERIOD=60)
      env "${preload[@]}" "$HOT" --benchmark_format=csv --benchmark_min_time="$GB_MIN_TIME" 2>/dev/null |
        awk -F, -v c="$config" -v r="$round" '$1 ~ /^"BM_/ {gsub(/"/, "", $1); print c, r, $1, $3, $5}' >>"$WORK/gb"
    done
  done
  echo "### Hot path (\`hot_path_bench\`, Google Benchmark)"
  echo
  echo "Real time per malloc+free pair, median of $GB_ROUNDS interleaved run(s) each way; both runs keep one idle extra thread, so glibc takes its arena locks in both (as in Node)."
  echo
  echo "| Benchmark | bare (ns/op) | heapagent (ns/op) | × bare | Δ (ns/op) |"
  echo "|---|---:|---:|---:|---:|"
  for name in $(awk '$1 == "bare" && $2 == 1 {print $3}' "$WORK/gb"); do
    bare=$(awk -v n="$name" '$1 == "bare" && $3 == n {print $4}' "$WORK/gb" | median)
    agent=$(awk -v n="$name" '$1 == "heapagent" && $3 == n {print $4}' "$WORK/gb" | median)
    ratio=$(awk -v n="$name" '$3 == n && $1 == "bare" {b[$2] = $4} $3 == n && $1 == "heapagent" {a[$2] = $4}
      END {for (k in a) if (k in b) print a[k] / b[k]}' "$WORK/gb" | median)
    unit=$(awk -v n="$name" '$3 == n {print $5; exit}' "$WORK/gb")
    [[ $unit == ns ]] || note "hot_path_bench reported $name in $unit, not ns."
    awk -v n="$name" -v b="$bare" -v a="$agent" -v q="$ratio" \
      'BEGIN {printf "| %s | %.2f | %.2f | %.2f× | %+.2f |\n", n, b, a, q, a - b}'
  done
  echo
else
  note "hot_path_bench not built (Google Benchmark not found: apt-get install libbenchmark-dev, then reconfigure)."
fi

if [[ ${#NOTES[@]} -gt 0 ]]; then
  echo "Notes:"
  echo
  for line in "${NOTES[@]}"; do echo "- $line"; done
fi
