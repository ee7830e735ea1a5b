// A worker thread retains objects from workerRetain(); the main thread waits
// until a js profile written after that exists, then ends the worker and exits.
'use strict';
const { Worker, isMainThread, parentPort } = require('worker_threads');

if (isMainThread) {
  const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
  const worker = new Worker(__filename);
  worker.on('message', () => {
    const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR, 'js');
    waitForProfiles(seen + 2, 60000, 'js').then(
      () => worker.terminate(),
      (error) => { console.error(error.message); process.exit(4); });
  });
} else {
  const kept = [];
  function workerRetain() {
    for (let i = 0; i < 3000; i++) kept.push(new Array(100).fill({ worker: true }).map((x, j) => ({ j })));
  }
  workerRetain();
  parentPort.postMessage('allocated');
  setInterval(() => kept.length, 1000);
}
