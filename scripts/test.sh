#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian 12, as root), builds, and
# runs through ctest
#   1. build/       units, pprof encoder, integration tests with real processes
#   2. build-asan/  units and encoder under AddressSanitizer + UBSan
#   3. build-tsan/  units (the concurrent tables) under ThreadSanitizer
#   4. build-fuzz/  libFuzzer on every parser of outside input, bounded time
# Exits non-zero if anything fails.
#   HEAPAGENT_FUZZ_SECONDS  seconds per fuzzer (default 20)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$HEAPAGENT_ROOT"

install_build_dependencies
install_test_dependencies
# The JS integration tests run on the machine's node and on 22 and 24.
HEAPAGENT_TEST_NODES="$(command -v node)"
for major in 22 24; do
  if binary="$(install_node_major "$major")"; then
    HEAPAGENT_TEST_NODES="$HEAPAGENT_TEST_NODES:$binary"
  else
    say "could not install node $major from the npm registry"
    exit 1
  fi
done
export HEAPAGENT_TEST_NODES
# dd-trace's heap profiler, for the test that the agent detects and reports it.
install_npm_package "@datadog/pprof@5" || { say "could not install @datadog/pprof from the npm registry"; exit 1; }
export HEAPAGENT_TEST_NODE_MODULES="$HEAPAGENT_ROOT/.cache/npm/node_modules"
jobs="$(nproc)"
failed=()
failed_logs=()

# run_suite NAME DIR TARGETS CTEST_LABELS [cmake args...]
#   TARGETS: "all" or a space-separated list; CTEST_LABELS: "" for every test,
#   else a ctest -L regular expression.
run_suite() {
  local name="$1" dir="$2" targets="$3" labels="$4"
  shift 4
  say "$name: building in $dir"
  local -a target_args=()
  [ "$targets" != all ] && for target in $targets; do target_args+=(--target "$target"); done
  if ! configure_and_build "$dir" "$@" -- "${target_args[@]}"; then
    failed+=("$name (build)")
    return
  fi
  say "$name: testing"
  local -a label_args=()
  [ -n "$labels" ] && label_args=(-L "$labels")
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${label_args[@]}" 2>&1 | tee ctest.log; exit "${PIPESTATUS[0]}") ||
    { failed+=("$name"); failed_logs+=("$dir/ctest.log"); }
}

# Repeats, at the very end, each failed test's own output from a suite's
# ctest log, so that the tail of a long run names what failed and why.
print_failures() {
  local log="$1"
  say "failures in ${log%/ctest.log}:"
  awk '
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / { show = ($0 ~ /\*\*\*|Failed|Timeout|Exception/); lines = 0 }
    /^ +Start +[0-9]+: / { next }
    /^The following tests FAILED:/ { show = 1; lines = -1000 }
    show && lines++ < 80 { print }
  ' "$log" >&2
}

run_suite "main" build all ""
# Every unit suite again under the sanitizers; the agent itself and the
# processes it runs in are not sanitizer builds.
run_suite "asan+ubsan" build-asan all "" -DHEAPAGENT_SANITIZE=address,undefined \
  -DHEAPAGENT_BUILD_AGENT=OFF -DHEAPAGENT_BUILD_BENCH=OFF
# ThreadSanitizer where threads meet: the sampler's tables, the CDP session.
run_suite "tsan" build-tsan "unit_tests cdp_tests" "unit|cdp" -DHEAPAGENT_SANITIZE=thread \
  -DHEAPAGENT_BUILD_AGENT=OFF -DHEAPAGENT_BUILD_BENCH=OFF
CC=clang CXX=clang++ run_suite "fuzz" build-fuzz fuzzers fuzz -DHEAPAGENT_FUZZ=ON \
  -DHEAPAGENT_FUZZ_SECONDS="${HEAPAGENT_FUZZ_SECONDS:-20}" \
  -DHEAPAGENT_BUILD_AGENT=OFF -DHEAPAGENT_BUILD_BENCH=OFF

if [ "${#failed[@]}" -gt 0 ]; then
  for log in "${failed_logs[@]}"; do print_failures "$log"; done
  say "FAILED: ${failed[*]}"
  exit 1
fi
say "all test suites passed"
