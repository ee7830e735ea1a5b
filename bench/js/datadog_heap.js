'use strict';
// Preload (node -r bench/js/datadog_heap.js app.js) that runs @datadog/pprof's
// heap profiler the way dd-trace-js does by default: 512 KiB interval, 64
// frames, one profile (heap.profile() + encode) every period, on an unref()ed
// timer so it never keeps the process alive, plus a final one at exit, like
// heapagent's final profile. For bench/js_run.sh.
//
// Environment:
//   BENCH_DD_PERIOD   seconds between profiles (default 60)
//   BENCH_DD_OUTPUT   directory to write the .pb.gz files to (default: don't write)
//   BENCH_DD_LOG=1    one stderr line per profile:
//                     "datadog_heap: profile() in N ms, encode in M ms, B bytes"
//                     (profile() is synchronous on the main thread; encode is
//                     the async protobuf encoding + gzip, wall time until done)
// @datadog/pprof is loaded from bench/js/.cache (npm install --prefix).

const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

const pprof = require(path.join(__dirname, '.cache', 'node_modules', '@datadog', 'pprof'));

const INTERVAL = 524288;
const DEPTH = 64;
const period = Number(process.env.BENCH_DD_PERIOD || 60);
const outDir = process.env.BENCH_DD_OUTPUT || '';
const log = process.env.BENCH_DD_LOG === '1';
let seq = 0;

pprof.heap.start(INTERVAL, DEPTH);
if (outDir) fs.mkdirSync(outDir, { recursive: true });

function fileName() {
  return path.join(outDir, `dd-${process.pid}-heap-${String(seq++).padStart(6, '0')}.pb.gz`);
}

async function collect() {
  const t0 = performance.now();
  const profile = pprof.heap.profile();
  const t1 = performance.now();
  const buffer = await pprof.encode(profile);
  const t2 = performance.now();
  if (outDir) await fs.promises.writeFile(fileName(), buffer);
  if (log) {
    process.stderr.write(`datadog_heap: profile() in ${(t1 - t0).toFixed(1)} ms, ` +
                         `encode in ${(t2 - t1).toFixed(1)} ms, ${buffer.length} bytes\n`);
  }
}

const timer = setInterval(() => {
  collect().catch((error) => process.stderr.write(`datadog_heap: ${error.stack}\n`));
}, period * 1000);
timer.unref();

process.on('exit', () => {
  const profile = pprof.heap.profile();
  const buffer = pprof.encodeSync(profile);
  if (outDir) fs.writeFileSync(fileName(), buffer);
});
