'use strict';
// Main-thread pause at a given live JS heap, for bench/js_run.sh.
//
// Usage: node --max-old-space-size=4096 bench/js/live_heap.js N_MB [WINDOW_S]
//
// Builds about N_MB MB of small live objects (linked records with a short
// string each, held in arrays of 16 Ki entries), then runs an event loop with
// a 1 ms setInterval for WINDOW_S seconds (default 7) and records the gaps
// between ticks. A profiler collecting in that window stalls the main thread;
// the largest gap is that stall (plus up to a tick of scheduling noise).
//
// stderr: "live_heap: built ..." when the heap is built and "live_heap: done"
// after the window, so a caller can pick the profiler's own log lines
// written in between. stdout: one line
//   live_heap: mb=N heap_used_mb=H max_gap_ms=G p99_gap_ms=P ticks=T gaps_over_50ms=K
// then exits.

const { performance } = require('perf_hooks');

const targetMb = Number(process.argv[2]);
const windowS = Number(process.argv[3] || 7);
if (!(targetMb > 0) || !(windowS > 0)) {
  console.error('usage: node live_heap.js N_MB [WINDOW_S]');
  process.exit(2);
}

// Build until V8 reports the target as used (measured, not estimated, so the
// object layout of a given node version does not matter).
const chunks = [];
const CHUNK = 16384;
let previous = null;
let serial = 0;
function addChunk() {
  const chunk = new Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) {
    const record = { id: serial, name: 'r' + serial, next: previous, value: serial * 0.5 };
    serial++;
    chunk[i] = record;
    previous = (serial & 255) === 0 ? null : record;
  }
  chunks.push(chunk);
}
const target = targetMb * 1024 * 1024;
for (;;) {
  addChunk();
  if (process.memoryUsage().heapUsed >= target) break;
}
const heapUsedMb = process.memoryUsage().heapUsed / 1048576;
process.stderr.write(`live_heap: built ${chunks.length * CHUNK} objects, heap used ${heapUsedMb.toFixed(0)} MB\n`);

const gaps = [];
let last = performance.now();
const start = last;
const ticker = setInterval(() => {
  const now = performance.now();
  gaps.push(now - last);
  last = now;
  if (now - start >= windowS * 1000) {
    clearInterval(ticker);
    process.stderr.write('live_heap: done\n');
    gaps.sort((a, b) => a - b);
    const max = gaps[gaps.length - 1];
    const p99 = gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))];
    const over = gaps.filter((g) => g > 50).length;
    // Keep the heap reachable until here.
    const check = chunks[chunks.length - 1][CHUNK - 1].id;
    process.stdout.write(`live_heap: mb=${targetMb} heap_used_mb=${heapUsedMb.toFixed(0)} ` +
                         `max_gap_ms=${max.toFixed(1)} p99_gap_ms=${p99.toFixed(1)} ticks=${gaps.length} ` +
                         `gaps_over_50ms=${over} last_id=${check}\n`);
  }
}, 1);
