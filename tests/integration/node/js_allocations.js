// Retains JS objects from named functions - the shapes of the incident
// write-up: arrays of objects, strings, interceptor closures pushed onto a
// shared list on every "request", an unbounded Map cache - then waits for the
// next js profile and exits. retainLargeArrays keeps four times what
// retainSmallArrays keeps, with the same shape.
'use strict';
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
const kept = { small: [], large: [], strings: [], interceptors: [], cache: new Map() };

function makeRows(count) {
  const rows = new Array(count);
  for (let i = 0; i < count; i++) rows[i] = { id: i, name: 'row', score: i * 0.5 };
  return rows;
}

function retainSmallArrays() {
  for (let i = 0; i < 500; i++) kept.small.push(makeRows(100));
}

function retainLargeArrays() {
  for (let i = 0; i < 2000; i++) kept.large.push(makeRows(100));
}

function retainStrings() {
  for (let i = 0; i < 50000; i++) kept.strings.push(`${'payload-'.repeat(8)}${i}`);
}

function addRetryInterceptors(requestNumber) {
  // What axiosRetry(instance) did on every call: two more closures on a
  // shared list, never removed.
  kept.interceptors.push((config) => ({ ...config, attempt: requestNumber }),
                         (error) => Promise.reject(error));
}

function cacheResponse(key) {
  kept.cache.set(key, { key, body: new Array(16).fill(key.length), at: Date.now() });
}

// Warm up first: V8 sizes the first objects of a shape with slack it trims
// later, and optimises makeRows after a while; measure the steady state.
for (let i = 0; i < 3000; i++) makeRows(100);
retainSmallArrays();
retainLargeArrays();
retainStrings();
for (let i = 0; i < 50000; i++) addRetryInterceptors(i);
for (let i = 0; i < 50000; i++) cacheResponse(`/quotes/${i}`);

const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR, 'js');
waitForProfiles(seen + 2, 60000, 'js').then(
  () => console.log(`kept ${kept.large.length + kept.small.length}`),
  (error) => { console.error(error.message); process.exit(4); });
