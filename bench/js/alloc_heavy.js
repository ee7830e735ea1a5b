'use strict';
// A JS-allocation-heavy workload with a fixed amount of work (~2-4 s bare on
// one core), for bench/js_run.sh. Each step allocates objects, strings,
// arrays, closures and Map entries; a fraction of them is retained in
// rolling windows (so the live heap stays at a few tens of MB and old
// generations are promoted and later freed), the rest dies young.
//
// Usage: node bench/js/alloc_heavy.js [STEPS]   (default 300000)
// Prints one line "alloc_heavy: STEPS steps, checksum N" on stdout.

const steps = Number(process.argv[2] || 300000);
if (!Number.isInteger(steps) || steps <= 0) {
  console.error('usage: node alloc_heavy.js [STEPS]');
  process.exit(2);
}

// Rolling windows of retained data: each slot is overwritten after
// WINDOW steps, so what it held becomes garbage in the old generation.
const WINDOW = 20000;
const retainedObjects = new Array(WINDOW).fill(null);
const retainedClosures = new Array(WINDOW).fill(null);
const cache = new Map();
const CACHE_KEYS = 50000;

// A small deterministic generator (no Math.random: identical work per run).
let seed = 0x9e3779b9;
function next() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
}

function makeRecord(i, r) {
  return {
    id: i,
    name: 'user-' + (r % 100000).toString(36) + '-' + i,
    tags: ['t' + (r & 15), 't' + ((r >>> 4) & 15), 't' + ((r >>> 8) & 15)],
    score: (r % 1000) / 7,
    nested: { created: i * 1000, flags: r & 255, parent: null },
  };
}

function makeClosure(record, k) {
  const local = [record.id, k, record.score];
  return function () { return local[0] + local[1] + record.nested.flags; };
}

let checksum = 0;
// Work in batches and yield to the event loop between them (setImmediate), as
// a real app does: a profiler's timers (and CDP messages) then run during the
// workload, not only at its end.
const BATCH = 2000;
function step(i) {
  const r = next();
  const record = makeRecord(i, r);

  // Short-lived: a temporary array and string built and consumed at once.
  const temp = [];
  for (let j = 0; j < 8; j++) temp.push({ j, v: r ^ j });
  const text = JSON.stringify(temp);
  checksum = (checksum + text.length + temp[r & 7].v) >>> 0;

  // Retained for WINDOW steps: the record and a closure over it.
  const slot = i % WINDOW;
  if (retainedObjects[slot] !== null) record.nested.parent = retainedObjects[slot].id;
  retainedObjects[slot] = record;
  retainedClosures[slot] = makeClosure(record, r & 1023);

  // Map entries: insert/replace, and drop some keys so the table churns.
  const key = 'k' + (r % CACHE_KEYS);
  if ((r & 7) === 0) cache.delete(key);
  else cache.set(key, { at: i, text: text.slice(0, 32 + (r & 31)), items: temp.slice(0, 2) });

  // Now and then a larger array (a batch), dropped right away.
  if ((i & 1023) === 0) {
    const batch = new Array(4096);
    for (let j = 0; j < batch.length; j++) batch[j] = 'b' + j + ':' + i;
    checksum = (checksum + batch[r & 4095].length) >>> 0;
  }
  checksum = (checksum + retainedClosures[(slot + 1) % WINDOW]?.call() | 0) >>> 0;
}

function batch(from) {
  const to = Math.min(steps, from + BATCH);
  for (let i = from; i < to; i++) step(i);
  if (to < steps) {
    setImmediate(batch, to);
    return;
  }
  checksum = (checksum + cache.size) >>> 0;
  console.log(`alloc_heavy: ${steps} steps, checksum ${checksum}`);
}
batch(0);
