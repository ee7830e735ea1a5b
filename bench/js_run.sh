#!/usr/bin/env bash
# Measures what JS heap profiling costs a Node.js process, on demand (never
# from ctest), and prints markdown tables to paste into a README. Every figure
# is set beside bare node (same node, no profiler):
#   1. alloc_heavy.js (JS-allocation-heavy, fixed work): wall, CPU, peak RSS;
#   2. http_server.js under wrk on loopback (server on CPU 0, wrk on CPU 1):
#      requests/s, p99 latency, server peak RSS;
#   for bare; heapagent (JS+native); heapagent JS only; @datadog/pprof's heap
#   profiler (512 KiB, 64 frames, profile()+encode every period); node --heap-prof;
#   3. live_heap.js at ~20 MB, 200 MB, 1 GB of live JS heap: the main-thread
#      stall per collection (largest event-loop gap) and the collection's own
#      time, for heapagent and @datadog/pprof (bare: the gap without profiler).
# Configurations are interleaved round by round, so slow drift of the machine
# (thermal, other tenants) hits all of them alike.
#
# Usage: bench/js_run.sh [--quick] [--rounds N] [--http-rounds N] [--live-rounds N]
#                        [--duration SECONDS] [--sizes "20 200 1024"] [--no-build]
#                        [--configs "bare heapagent ..."]
#   --quick       1 round of each, 5 s of load (about 3 minutes in all)
#   --no-build    use BUILD_DIR/libheapagent.so as it is (default: incremental build)
#   --configs     benchmarks 1 and 2 for these configurations only (bare always
#                 runs): bare heapagent heapagent-cdp datadog heap-prof
#   N = 0 rounds skips a benchmark (e.g. --rounds 0 --live-rounds 0: wrk only)
#   BUILD_DIR=dir build tree to use (default: build/ in the repository)
# Installs what is missing: wrk (apt-get, needs root) and @datadog/pprof (npm,
# into bench/js/.cache). Progress goes to stderr; stdout is only the report.
set -euo pipefail

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench/js
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
ROUNDS=3            # alloc_heavy rounds
HTTP_ROUNDS=3       # wrk rounds
LIVE_ROUNDS=2       # live-heap rounds
DURATION=10         # seconds of measured load per wrk run
WARMUP=2            # seconds of unmeasured load before it (JIT, profiler attach)
SIZES="20 200 1024" # live JS heap sizes (MB) for the pause measurement
ALLOC_PERIOD=1      # profile period for alloc_heavy (~3 s): several collections per run
HTTP_PERIOD=5       # profile period under wrk
LIVE_PERIOD=2       # profile period for live_heap
LIVE_WINDOW=7       # seconds of event loop measured after the heap is built
BUILD=1
ONLY_CONFIGS=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) ROUNDS=1; HTTP_ROUNDS=1; LIVE_ROUNDS=1; DURATION=5; WARMUP=1 ;;
    --rounds) ROUNDS=${2:?}; shift ;;
    --http-rounds) HTTP_ROUNDS=${2:?}; shift ;;
    --live-rounds) LIVE_ROUNDS=${2:?}; shift ;;
    --duration) DURATION=${2:?}; shift ;;
    --sizes) SIZES=${2:?}; shift ;;
    --no-build) BUILD=0 ;;
    --configs) ONLY_CONFIGS=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "js_run.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done

log() { echo "[js-bench] $*" >&2; }
die() { echo "js_run.sh: $*" >&2; exit 1; }

NOTES=()
note() { NOTES+=("$*"); }

# --- Tools ---------------------------------------------------------------------
TIME=/usr/bin/time
[[ -x $TIME ]] || die "$TIME missing (apt-get install time)"
command -v node >/dev/null || die "node not found"
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
if ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get)"
  [[ $(id -u) == 0 ]] || die "wrk missing and not root: apt-get install wrk"
  apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; } ||
    die "could not install wrk"
fi
PPROF_DIR=$BENCH/.cache/node_modules/@datadog/pprof
if [[ ! -f $PPROF_DIR/package.json ]]; then
  log "installing @datadog/pprof into $BENCH/.cache (npm)"
  command -v npm >/dev/null || die "npm not found (apt-get install npm)"
  npm install --prefix "$BENCH/.cache" --no-audit --no-fund --no-save @datadog/pprof >&2 ||
    die "npm install @datadog/pprof failed"
fi
PPROF_VERSION=$(node -p "require('$PPROF_DIR/package.json').version")
node -e "require('$PPROF_DIR').heap.start(524288, 64)" ||
  die "@datadog/pprof does not load in this node (no prebuilt addon for $(node --version)?)"

if [[ $BUILD == 1 ]]; then
  log "building heapagent"
  cmake --build "$BUILD_DIR" -j2 --target heapagent >&2
fi
AGENT=$BUILD_DIR/libheapagent.so
[[ -f $AGENT ]] || die "$AGENT missing (cmake --build $BUILD_DIR --target heapagent)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/heapagent-js-bench.XXXXXX")
SERVER_PID="" node_pid=""
cleanup() {
  # A server left running by an error or ^C: node itself, then /usr/bin/time.
  if [[ -n $SERVER_PID ]]; then
    if [[ -n $node_pid ]]; then kill "$node_pid" 2>/dev/null || true; fi
    kill "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

CONFIGS=(bare heapagent heapagent-cdp datadog heap-prof)
if [[ -n $ONLY_CONFIGS ]]; then
  chosen=(bare)
  for config in $ONLY_CONFIGS; do
    [[ " ${CONFIGS[*]} " == *" $config "* ]] || die "unknown configuration '$config' (one of: ${CONFIGS[*]})"
    [[ $config == bare ]] || chosen+=("$config")
  done
  CONFIGS=("${chosen[@]}")
fi
label() {
  case $1 in
    bare) echo "bare node" ;;
    heapagent) echo "heapagent (default: JS in-process + native)" ;;
    heapagent-cdp) echo "heapagent, JS over CDP (HEAPAGENT_JS_MODE=cdp) + native" ;;
    datadog) echo "@datadog/pprof $PPROF_VERSION heap (512 KiB, 64 frames)" ;;
    heap-prof) echo "node --heap-prof (written at exit)" ;;
  esac
}

# The command prefix (environment + node + flags) of configuration $1 with
# profile period $2 s, writing into directory $3. LD_PRELOAD goes through env
# *inside* time/taskset, so only node is preloaded.
node_command() {
  local config=$1 period=$2 out=$3
  case $config in
    bare) CMD=(env node) ;;
    heapagent) CMD=(env LD_PRELOAD="$AGENT" HEAPAGENT_PERIOD="$period" HEAPAGENT_OUTPUT_DIR="$out" node) ;;
    heapagent-cdp) CMD=(env LD_PRELOAD="$AGENT" HEAPAGENT_PERIOD="$period" HEAPAGENT_OUTPUT_DIR="$out"
                        HEAPAGENT_JS_MODE=cdp node) ;;
    datadog) CMD=(env BENCH_DD_PERIOD="$period" BENCH_DD_OUTPUT="$out" node -r "$BENCH/datadog_heap.js") ;;
    heap-prof) CMD=(env node --heap-prof --heap-prof-dir="$out") ;;
  esac
}

# Counts the profile files a run left in $1 (JS heap profiles only for heapagent).
count_profiles() {
  local dir=$1
  [[ -d $dir ]] || { echo 0; return; }
  find "$dir" -type f \( -name '*-js-*.pb.gz' -o -name 'dd-*.pb.gz' -o -name '*.heapprofile' \) | wc -l
}

# Anything a profiler prints on stderr in these runs is worth a note: at the
# default log level heapagent prints nothing unless something is wrong.
declare -A STDERR_SEEN=()
check_stderr() {
  local config=$1 file=$2 what=$3
  if [[ -s $file && -z ${STDERR_SEEN[$config.$what]:-} ]]; then
    STDERR_SEEN[$config.$what]=1
    note "$(label "$config") printed on stderr ($what): \`$(head -3 "$file" | tr '\n' ' ' | cut -c1-300)\`"
  fi
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# Column $3 of config $2 in results file $1.
field() { awk -v c="$2" -v f="$3" '$1 == c {print $f}' "$1"; }
# Per-round ratios of column $3 of config $2 to bare, in results file $1.
ratios() {
  awk -v c="$2" -v f="$3" '$1 == c {t[$2] = $f} $1 == "bare" {b[$2] = $f}
    END {for (k in t) if (k in b && b[k] > 0) print t[k] / b[k]}' "$1"
}
fmt() { awk -v v="$1" -v f="$2" 'BEGIN {if (v == "nan" || v == "") print "–"; else printf f, v}'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. alloc_heavy.js -----------------------------------------------------------
log "warm-up run of alloc_heavy.js"
BARE_CHECKSUM=$(node "$BENCH/alloc_heavy.js")
ALLOC=$WORK/alloc.results
: >"$ALLOC"
for ((round = 1; round <= ROUNDS; round++)); do
  for config in "${CONFIGS[@]}"; do
    log "alloc_heavy round $round/$ROUNDS: $config"
    out=$WORK/out.alloc.$config.$round
    node_command "$config" "$ALLOC_PERIOD" "$out"
    if ! "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" "${CMD[@]}" "$BENCH/alloc_heavy.js" \
         >"$WORK/alloc.stdout" 2>"$WORK/alloc.stderr"; then
      echo "js_run.sh: alloc_heavy under $config failed:" >&2
      tail -20 "$WORK/alloc.stderr" >&2
      exit 1
    fi
    [[ $(cat "$WORK/alloc.stdout") == "$BARE_CHECKSUM" ]] ||
      note "alloc_heavy under $config printed '$(cat "$WORK/alloc.stdout")', bare '$BARE_CHECKSUM'."
    check_stderr "$config" "$WORK/alloc.stderr" alloc_heavy
    echo "$config $round $(tail -1 "$WORK/time.out" | awk '{print $1, $2, $3 + $4}') $(count_profiles "$out")" >>"$ALLOC"
    rm -rf "$out"
  done
done

# --- 2. http_server.js under wrk ---------------------------------------------------
# wrk's latency distribution in ms ("99%  1.23ms", also us/s units).
wrk_p99_ms() {
  awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
       print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v); exit}' "$1"
}
HTTP=$WORK/http.results
: >"$HTTP"
for ((round = 1; round <= HTTP_ROUNDS; round++)); do
  for config in "${CONFIGS[@]}"; do
    log "http round $round/$HTTP_ROUNDS: $config"
    out=$WORK/out.http.$config.$round
    node_command "$config" "$HTTP_PERIOD" "$out"
    rm -f "$WORK/server.stdout"
    taskset -c 0 "$TIME" -f '%e %M %U %S' -o "$WORK/server.time" "${CMD[@]}" "$BENCH/http_server.js" 0 \
      >"$WORK/server.stdout" 2>"$WORK/server.stderr" &
    SERVER_PID=$!   # /usr/bin/time's pid; the server's own pid is in server.stdout
    port="" node_pid=""
    for ((i = 0; i < 200; i++)); do
      read -r _ port node_pid 2>/dev/null <"$WORK/server.stdout" || true
      [[ -n $node_pid ]] && break
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    if [[ -z $node_pid ]]; then
      echo "js_run.sh: http_server.js under $config did not start:" >&2
      tail -20 "$WORK/server.stderr" >&2
      exit 1
    fi
    taskset -c 1 wrk -t1 -c32 -d"${WARMUP}s" "http://127.0.0.1:$port/order" >/dev/null
    taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" --latency "http://127.0.0.1:$port/order" >"$WORK/wrk.out"
    kill -TERM "$node_pid"
    wait "$SERVER_PID" || { echo "js_run.sh: http_server.js under $config exited with $?:" >&2; tail -20 "$WORK/server.stderr" >&2; exit 1; }
    SERVER_PID=""
    rps=$(awk '$1 == "Requests/sec:" {print $2}' "$WORK/wrk.out")
    p99=$(wrk_p99_ms "$WORK/wrk.out")
    [[ -n $rps && -n $p99 ]] || { cat "$WORK/wrk.out" >&2; die "could not parse wrk's output"; }
    grep -q 'Non-2xx\|Socket errors' "$WORK/wrk.out" &&
      note "wrk under $config: $(grep 'Non-2xx\|Socket errors' "$WORK/wrk.out" | tr -s ' ')"
    check_stderr "$config" "$WORK/server.stderr" http_server
    echo "$config $round $rps $p99 $(tail -1 "$WORK/server.time" | awk '{print $2}') $(count_profiles "$out")" >>"$HTTP"
    rm -rf "$out"
  done
done

# --- 3. Pause per collection at a given live heap -----------------------------------
# Results: config round mb max_gap_ms collect_max_ms collect_median_ms extra_max_ms n_collections
LIVE=$WORK/live.results
: >"$LIVE"
LIVE_CONFIGS=(bare heapagent heapagent-cdp datadog)
# Numbers of lines matching $2 (a sed expression printing the number) between
# live_heap's "built" and "done" markers in $1.
window_values() { sed -n '/^live_heap: built/,/^live_heap: done/p' "$1" | sed -n "$2"; }
stats() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) {print "nan nan 0"; exit}
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[NR], m, NR}'; }
for ((round = 1; round <= LIVE_ROUNDS; round++)); do
  for mb in $SIZES; do
    for config in "${LIVE_CONFIGS[@]}"; do
      log "live heap round $round/$LIVE_ROUNDS: $mb MB, $config"
      out=$WORK/out.live.$config.$round
      case $config in
        bare) CMD=(env node) ;;
        heapagent) CMD=(env LD_PRELOAD="$AGENT" HEAPAGENT_PERIOD="$LIVE_PERIOD" HEAPAGENT_OUTPUT_DIR="$out"
                        HEAPAGENT_LOG=debug node) ;;
        heapagent-cdp) CMD=(env LD_PRELOAD="$AGENT" HEAPAGENT_PERIOD="$LIVE_PERIOD" HEAPAGENT_OUTPUT_DIR="$out"
                            HEAPAGENT_JS_MODE=cdp HEAPAGENT_LOG=debug node) ;;
        datadog) CMD=(env BENCH_DD_PERIOD="$LIVE_PERIOD" BENCH_DD_OUTPUT="$out" BENCH_DD_LOG=1
                      node -r "$BENCH/datadog_heap.js") ;;
      esac
      if ! "${CMD[@]}" --max-old-space-size=4096 "$BENCH/live_heap.js" "$mb" "$LIVE_WINDOW" \
           >"$WORK/live.stdout" 2>"$WORK/live.stderr"; then
        echo "js_run.sh: live_heap.js $mb under $config failed:" >&2
        tail -20 "$WORK/live.stderr" >&2
        exit 1
      fi
      gap=$(sed -n 's/.*max_gap_ms=\([0-9.]*\).*/\1/p' "$WORK/live.stdout")
      [[ -n $gap ]] || die "could not parse live_heap.js's output: $(cat "$WORK/live.stdout")"
      case $config in
        bare) collect="nan nan 0"; extra="nan" ;;
        heapagent)
          # In-process: the read's time on the isolate's own thread (V8's
          # GetAllocationProfile and the copy), from the agent's debug line.
          collect=$(window_values "$WORK/live.stderr" 's/^heapagent: read the JS heap of Main Event Loop: .*, \([0-9.]*\) ms on its thread.*/\1/p' | stats)
          extra="nan" ;;
        heapagent-cdp)
          collect=$(window_values "$WORK/live.stderr" 's/^heapagent: read the JS heap profile of .* in \([0-9]*\) ms.*/\1/p' | stats)
          extra="nan" ;;
        datadog)
          collect=$(window_values "$WORK/live.stderr" 's/^datadog_heap: profile() in \([0-9.]*\) ms.*/\1/p' | stats)
          extra=$(window_values "$WORK/live.stderr" 's/^datadog_heap: .* encode in \([0-9.]*\) ms.*/\1/p' | stats | cut -d' ' -f1) ;;
      esac
      # heapagent runs at debug level here, so its own lines are expected (its
      # warnings are checked in benchmarks 1 and 2, at the default level);
      # anything else (node warnings, crashes) is not.
      grep -v '^live_heap: \|^heapagent: \|^datadog_heap: profile()' \
        "$WORK/live.stderr" >"$WORK/live.unexpected" || true
      check_stderr "$config" "$WORK/live.unexpected" "live_heap $mb MB, other than heapagent's debug lines"
      read -r collect_max collect_median collect_count <<<"$collect"
      echo "$config $round $mb $gap $collect_max $collect_median $extra $collect_count" >>"$LIVE"
      [[ $config == bare || $collect_count -gt 0 ]] ||
        note "$(label "$config") made no collection inside the ${LIVE_WINDOW} s window at $mb MB (round $round)."
      rm -rf "$out"
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report ----------------------------------------------------------------------
# (A benchmark run for 0 rounds has no table.)
if ((ROUNDS > 0)); then
echo "### JS-allocation-heavy script (\`bench/js/alloc_heavy.js\`)"
echo
echo "$ROUNDS interleaved round(s) on $(nproc) CPUs, node $(node --version) ($(uname -r)); profile period ${ALLOC_PERIOD} s (so a ~3 s run collects several times; --heap-prof writes once at exit); wall, CPU (user+sys) and peak RSS from \`/usr/bin/time\`; × bare is the median of per-round ratios."
echo
echo "| Configuration | Wall median (s) | Wall × bare | CPU median (s) | CPU × bare | Peak RSS median (MiB) | RSS × bare | JS profiles per run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for config in "${CONFIGS[@]}"; do
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$config")" \
    "$(fmt "$(field "$ALLOC" "$config" 3 | median)" %.2f)" "$(fmt "$(ratios "$ALLOC" "$config" 3 | median)" %.3f×)" \
    "$(fmt "$(field "$ALLOC" "$config" 5 | median)" %.2f)" "$(fmt "$(ratios "$ALLOC" "$config" 5 | median)" %.3f×)" \
    "$(awk -v r="$(field "$ALLOC" "$config" 4 | median)" 'BEGIN {printf "%.1f", r / 1024}')" \
    "$(fmt "$(ratios "$ALLOC" "$config" 4 | median)" %.3f×)" "$(field "$ALLOC" "$config" 6 | median)"
done
echo
fi

if ((HTTP_ROUNDS > 0)); then

echo "### HTTP server under load (\`bench/js/http_server.js\`, wrk)"
echo
echo "$HTTP_ROUNDS interleaved round(s); \`wrk -t1 -c32 -d${DURATION}s --latency\` after ${WARMUP} s of warm-up, server pinned to CPU 0 and wrk to CPU 1 (\`taskset\`), loopback; profile period ${HTTP_PERIOD} s; server peak RSS from \`/usr/bin/time\`; × bare is the median of per-round ratios."
echo
echo "| Configuration | Requests/s median | Req/s × bare | p99 latency median (ms) | p99 × bare | Server peak RSS median (MiB) | RSS × bare | JS profiles per run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for config in "${CONFIGS[@]}"; do
  rss=$(field "$HTTP" "$config" 5 | median)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$config")" \
    "$(fmt "$(field "$HTTP" "$config" 3 | median)" %.0f)" "$(fmt "$(ratios "$HTTP" "$config" 3 | median)" %.3f×)" \
    "$(fmt "$(field "$HTTP" "$config" 4 | median)" %.2f)" "$(fmt "$(ratios "$HTTP" "$config" 4 | median)" %.3f×)" \
    "$(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}')" "$(fmt "$(ratios "$HTTP" "$config" 5 | median)" %.3f×)" \
    "$(field "$HTTP" "$config" 6 | median)"
done
echo
fi

if ((LIVE_ROUNDS > 0)); then

echo "### Main-thread pause per collection at a given live JS heap (\`bench/js/live_heap.js\`)"
echo
echo "$LIVE_ROUNDS round(s); node --max-old-space-size=4096; profile period ${LIVE_PERIOD} s, ${LIVE_WINDOW} s of a 1 ms \`setInterval\` measured after the heap is built (about $((LIVE_WINDOW / LIVE_PERIOD)) collections). *Stall* is the largest gap between ticks in that window (bare: without any profiler, i.e. GC and scheduling noise). heapagent's *read* comes from its own debug line: in-process (the default), the time the read takes on the isolate's thread (V8's GetAllocationProfile plus the copy; no GC); over CDP, request to response over the websocket, including the full GC V8 forces on every read. @datadog/pprof's *profile()* is the synchronous call timed in JS (no forced GC), *encode* the async protobuf+gzip. Medians over rounds of each run's largest value; (n) is the number of collections seen in the windows."
echo
echo "| Live heap | bare: stall (ms) | heapagent in-process: read (ms) | heapagent in-process: stall (ms) | heapagent CDP: read (ms) | heapagent CDP: stall (ms) | @datadog/pprof: profile() (ms) | @datadog/pprof: encode (ms) | @datadog/pprof: stall (ms) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for mb in $SIZES; do
  row() { awk -v c="$1" -v m="$mb" -v f="$2" '$1 == c && $3 == m {print $f}' "$LIVE"; }
  heap=$(awk -v m="$mb" '$3 == m {print $3}' "$LIVE" | head -1)
  n_of() { row "$1" 8 | awk '{s += $1} END {print s + 0}'; }
  printf '| %s MB | %s | %s (%s) | %s | %s (%s) | %s | %s (%s) | %s | %s |\n' "$heap" \
    "$(fmt "$(row bare 4 | median)" %.1f)" \
    "$(fmt "$(row heapagent 5 | grep -v nan | median)" %.1f)" "$(n_of heapagent)" "$(fmt "$(row heapagent 4 | median)" %.1f)" \
    "$(fmt "$(row heapagent-cdp 5 | grep -v nan | median)" %.0f)" "$(n_of heapagent-cdp)" "$(fmt "$(row heapagent-cdp 4 | median)" %.1f)" \
    "$(fmt "$(row datadog 5 | grep -v nan | median)" %.1f)" "$(n_of datadog)" \
    "$(fmt "$(row datadog 7 | grep -v nan | median)" %.1f)" "$(fmt "$(row datadog 4 | median)" %.1f)"
done
echo
fi

note "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (a busy machine widens the spread; CPU time moves less than wall time)."
note "heapagent's default reads V8's sampler in-process with no forced GC, as @datadog/pprof does; over CDP (HEAPAGENT_JS_MODE=cdp, and on nodes whose V8 it does not know) every read is HeapProfiler.getSamplingProfile, for which V8 always runs a full GC on the main thread first: that stall grows with the live heap."
note "heapagent and @datadog/pprof write a final profile at exit, which the alloc_heavy wall time includes; --heap-prof profiles only at exit."
echo "Notes:"
echo
for line in "${NOTES[@]}"; do echo "- $line"; done
