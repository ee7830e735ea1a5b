#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing,
# builds build/libheapagent.so, runs examples/demo_app.js under the agent for a
# few seconds with a 1 s period, then shows the top in-use native and JS heap
# allocation sites from the profiles it wrote and how to open them as a flame
# graph.
#   DEMO_SECONDS  how long the app runs (default 8)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$HEAPAGENT_ROOT"

install_build_dependencies
say "building build/libheapagent.so"
configure_and_build build -DHEAPAGENT_BUILD_TESTS=OFF -DHEAPAGENT_BUILD_BENCH=OFF >/dev/null

output="$HEAPAGENT_ROOT/demo-profiles"
rm -rf "$output"
say "running examples/demo_app.js under the agent (period 1 s, output $output)"
HEAPAGENT_PERIOD=1 HEAPAGENT_SERVICE=demo HEAPAGENT_OUTPUT_DIR="$output" \
  LD_PRELOAD="$HEAPAGENT_ROOT/build/libheapagent.so" node examples/demo_app.js "${DEMO_SECONDS:-8}"

mapfile -t files < <(ls "$output"/demo-*-native-*.pb.gz | sort)
[ "${#files[@]}" -ge 2 ] || { echo "no periodic profiles were written" >&2; exit 1; }
# The last periodic profile shows the app while it ran; the final one (taken at
# exit, after node has freed its environment) shows what was left at exit.
latest="${files[-2]}"

say "profiles written (${#files[@]}):"
ls -l "$output"
say "top in-use native allocation sites in $(basename "$latest"):"
go tool pprof -top -sample_index=inuse_space -nodecount=15 "$latest" 2>/dev/null | sed -n '1,25p'
say "what grows: in-use change from the first to the last periodic profile:"
go tool pprof -top -sample_index=inuse_space -nodecount=8 -diff_base="${files[0]}" "$latest" 2>/dev/null | sed -n '6,16p'

mapfile -t js_files < <(ls "$output"/demo-*-js-*.pb.gz 2>/dev/null | sort)
if [ "${#js_files[@]}" -ge 2 ]; then
  js_latest="${js_files[-2]}"
  say "top in-use JS heap sites in $(basename "$js_latest") (V8's sampler):"
  go tool pprof -top -sample_index=inuse_space -nodecount=12 "$js_latest" 2>/dev/null | sed -n '1,20p'
  say "what grows on the JS heap, first to last periodic profile:"
  go tool pprof -top -sample_index=inuse_space -nodecount=6 -diff_base="${js_files[0]}" "$js_latest" 2>/dev/null | sed -n '6,14p'
else
  say "no JS heap profiles were written (see the heapagent: line above)"
fi
say "leak suspects, from the whole series (build/heapagent leaks $output):"
build/heapagent leaks "$output" -n 5 || true
build/heapagent report "$output" -o "$HEAPAGENT_ROOT/demo-report.html" >/dev/null 2>&1 &&
  say "one-page report (timeline, suspects, flame graphs, diff): $HEAPAGENT_ROOT/demo-report.html"
cat <<MSG

Flame graph (interactive, in a browser):
  go tool pprof -http=127.0.0.1:8080 $latest
  go tool pprof -http=127.0.0.1:8080 ${js_latest:-<a js profile>}
Allocated bytes instead of in-use:
  go tool pprof -http=127.0.0.1:8080 -sample_index=alloc_space $latest
MSG
