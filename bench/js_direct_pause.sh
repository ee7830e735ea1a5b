#!/bin/sh
# Main-thread time per direct (in-process) JS heap collection, on a profile of
# about 10k nodes: an app with 5000 generated functions in one module, each
# retaining objects through two call paths, sampled every 1 KiB so every path is in the
# profile. The agent reports, at HEAPAGENT_LOG=debug, how long each read held
# the isolate's thread ("... ms on its thread"); this prints those numbers.
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
src += "let ticks = 0; const timer = setInterval(() => { if (++ticks > 60) clearInterval(timer); }, 100);\n";
require("fs").writeFileSync(process.argv[1], src);' "$WORK/app.js"
HEAPAGENT_LOG=debug HEAPAGENT_PERIOD=1 HEAPAGENT_JS_INTERVAL=${INTERVAL:-1024} HEAPAGENT_JS_MODE=direct \
  HEAPAGENT_NATIVE=0 HEAPAGENT_OUTPUT_DIR="$WORK/out" LD_PRELOAD="$LIBRARY" "$NODE" "$WORK/app.js" 2>&1 |
  grep "on its thread" || true
