// Direct mode with workers: two workers retain objects from workerRetain();
// one is terminated while it allocates in a tight loop, a third starts later,
// and the main thread exits once a js profile shows the late worker.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (isMainThread) {
  const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
  const dir = process.env.HEAPAGENT_OUTPUT_DIR;
  const start = (mode) => new Promise((resolve) => {
    const worker = new Worker(__filename, { workerData: mode });
    worker.once('message', () => resolve(worker));
  });
  (async () => {
    const steady = await start('retain');
    const churning = await start('churn');
    await waitForProfiles(highestSequence(dir, 'js') + 1, 60000, 'js');
    // Terminated mid-allocation, while the agent may be reading it.
    for (let i = 0; i < 5; i++) {
      const victim = await start('churn');
      await new Promise((r) => setTimeout(r, 30 + 20 * i));
      await victim.terminate();
    }
    await churning.terminate();
    const late = await start('late');
    await waitForProfiles(highestSequence(dir, 'js') + 2, 60000, 'js');
    await late.terminate();
    await steady.terminate();
  })().catch((error) => { console.error(error.message); process.exit(4); });
} else if (workerData === 'retain' || workerData === 'late') {
  const kept = [];
  function workerRetain() {
    for (let i = 0; i < 2000; i++) kept.push(new Array(100).fill(0).map((x, j) => ({ j })));
  }
  function lateWorkerRetain() {
    for (let i = 0; i < 2000; i++) kept.push(new Array(100).fill(0).map((x, j) => ({ j })));
  }
  (workerData === 'late' ? lateWorkerRetain : workerRetain)();
  parentPort.postMessage('ready');
  setInterval(() => kept.length, 1000);
} else {
  parentPort.postMessage('ready');
  let kept = [];
  // Allocation bursts back to back: the worker is always allocating when it
  // is terminated. (worker.terminate() of a bare for(;;) allocation loop
  // hangs on node 24.21 with or without the agent - 3 runs of 3 here - a
  // node bug this test must not depend on.)
  function workerChurn() {
    for (let i = 0; i < 20000; i++) {
      kept.push({ payload: new Array(64).fill(1) });
      if (kept.length > 50000) kept = [];
    }
    setImmediate(workerChurn);
  }
  workerChurn();
}
