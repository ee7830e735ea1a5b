#!/bin/sh
# Main-thread time per direct (in-process) JS heap collection, on a profile of
# about 9k nodes, for 12 s: an app with 5000 generated functions in one module, each
# retaining objects through two call paths, sampled every 1 KiB so every path is in the
# profile. The agent reports, at HEAPAGENT_LOG=debug, how long each read held
# the isolate's thread ("... ms on its thread"); this prints those numbers and
# their medians. Then, on the same app and interval, @datadog/pprof's heap.profile()
# (its synchronous collection on the main thread), if it is installed in
# bench/js/.cache (bench/js_run.sh installs it) or at $PPROF_DIR.
# Usage: [INTERVAL=bytes] [PPROF_DIR=dir] bench/js_direct_pause.sh [node] [library]   (a bench, not a test)
set -eu
NODE=${1:-node}
LIBRARY=${2:-build/libheapagent.so}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# One module with 5000 functions (as real code is: many functions per script).
"$NODE" -e '
let src = "const kept = [];\n";
for (let i = 0; i < 5000; i++) src += `function retain${i}(n) { for (let j = 0; j < n; j++) kept.push({ i: ${i}, j }); }\n`;
src += "const fns = [" + Array.from({ length: 5000 }, (_, i) => `retain${i}`).join(",") + "];\n";
src += "function pathA(f) { f(40); }\nfunction pathB(f) { f(40); }\n";
src += "for (const f of fns) { pathA(f); pathB(f); }\n";
src += "let ticks = 0; const timer = setInterval(() => { if (++ticks > 120) clearInterval(timer); }, 100);\n";
require("fs").writeFileSync(process.argv[1], src);' "$WORK/app.js"
# Each mode once: V8's sampler tree read in place (the default), then V8's
# GetAllocationProfile (HEAPAGENT_JS_READ_TREE=0). The first reads of the
# tree mode are AllocationProfile reads that prove the layout; the last read
# is the final one, at teardown. Medians are of the periodic reads of each
# kind ("walked V8's tree" or "ms in V8"), CPU time first: on a loaded host
# wall time is mostly waiting for a core.
for TREE in 1 0; do
  echo "== HEAPAGENT_JS_READ_TREE=$TREE"
  HEAPAGENT_LOG=debug HEAPAGENT_PERIOD=1 HEAPAGENT_JS_INTERVAL=${INTERVAL:-1024} HEAPAGENT_JS_MODE=direct \
    HEAPAGENT_JS_READ_TREE=$TREE HEAPAGENT_NATIVE=0 HEAPAGENT_OUTPUT_DIR="$WORK/out$TREE" LD_PRELOAD="$LIBRARY" \
    "$NODE" "$WORK/app.js" 2>&1 | grep "read the JS heap" >"$WORK/reads$TREE" || true
  sed 's/^heapagent: //' "$WORK/reads$TREE"
  for KIND in "walked V8's tree" "ms in V8"; do
    grep "$KIND" "$WORK/reads$TREE" | sed '$d' |
      sed -E 's/.* ([0-9.]+) ms on its thread \(([0-9.]+) ms CPU.*/\2 \1/' | sort -n |
      awk -v kind="$KIND" '{ cpu[NR] = $1; wall[NR] = $2 } END {
        if (NR > 0) printf "median of %d periodic reads (%s): %.3f ms CPU, %.3f ms on the thread\n",
          NR, kind, cpu[int((NR + 1) / 2)], wall[int((NR + 1) / 2)] }'
  done
done
# @datadog/pprof at the same interval and depth, one heap.profile() a second,
# timed in JS: wall time and the process's CPU time across the call (its
# other threads are idle then).
PPROF_DIR=${PPROF_DIR:-$(dirname "$0")/js/.cache/node_modules/@datadog/pprof}
echo "== @datadog/pprof heap.profile()"
if ! "$NODE" -e 'require(process.argv[1])' "$(realpath "$PPROF_DIR" 2>/dev/null || echo /nonexistent)" 2>/dev/null; then
  echo "skipped: @datadog/pprof not found at $PPROF_DIR (npm install --prefix bench/js/.cache @datadog/pprof)"
  exit 0
fi
cat >"$WORK/dd.js" <<'JS'
const pprof = require(process.env.PPROF);
const { performance } = require('perf_hooks');
pprof.heap.start(Number(process.env.INTERVAL), 128);
setInterval(() => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const profile = pprof.heap.profile();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  process.stderr.write(`profile() of ${profile.location.length} locations, ${profile.sample.length} samples: ` +
                       `${wall.toFixed(3)} ms (${((used.user + used.system) / 1000).toFixed(3)} ms CPU)\n`);
}, 1000).unref();
JS
PPROF=$(realpath "$PPROF_DIR") INTERVAL=${INTERVAL:-1024} "$NODE" -r "$WORK/dd.js" "$WORK/app.js" 2>"$WORK/dd" || true
cat "$WORK/dd"
sed '1,2d' "$WORK/dd" | sed -E 's/.*: ([0-9.]+) ms \(([0-9.]+) ms CPU.*/\2 \1/' | sort -n |
  awk '{ cpu[NR] = $1; wall[NR] = $2 } END {
    if (NR > 0) printf "median of %d profile() calls after the first two: %.3f ms CPU, %.3f ms on the thread\n",
      NR, cpu[int((NR + 1) / 2)], wall[int((NR + 1) / 2)] }'
