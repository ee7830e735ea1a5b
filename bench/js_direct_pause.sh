#!/bin/sh
# Main-thread time per direct (in-process) JS heap collection, on a profile of
# about 9k nodes, for 12 s: an app with 5000 generated functions in one module, each
# retaining objects through two call paths, sampled every 1 KiB so every path is in the
# profile. The agent reports, at HEAPAGENT_LOG=debug, how long each read held
# the isolate's thread ("... ms on its thread"); this prints those numbers and
# their medians.
# Usage: [INTERVAL=bytes] bench/js_direct_pause.sh [node] [library]   (a bench, not a test)
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
