// Captures the `result` of a real HeapProfiler.getSamplingProfile reply for
// the js_profile tests: `node capture_sampling_profile.js > node20_sampling_profile.json`.
// Allocates from named, anonymous and nested functions so the fixture has
// user frames, builtins and V8's synthetic nodes.
'use strict';
const inspector = require('inspector');

const retained = [];
function leakyArrays(n) {
  for (let i = 0; i < n; i++) retained.push(new Array(100).fill(i));
}
function retainStrings(n) {
  for (let i = 0; i < n; i++) retained.push('x'.repeat(64) + i);
}
function outer() {
  return inner();
  function inner() {
    const objects = [];
    for (let i = 0; i < 2000; i++) objects.push({ i, tag: 'inner' });
    return objects;
  }
}

const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.startSampling', { samplingInterval: 4096 }, (err) => {
  if (err) throw err;
  leakyArrays(2000);
  retainStrings(3000);
  retained.push(outer());
  retained.push((() => Array.from({ length: 3000 }, (_, i) => ({ i })))());
  session.post('HeapProfiler.getSamplingProfile', (err2, result) => {
    if (err2) throw err2;
    process.stdout.write(JSON.stringify(result));
    session.post('HeapProfiler.stopSampling', () => session.disconnect());
  });
});
