// Ends in the way argv[2] names after allocating from a named function; prints
// "exiting" on stdout right before, so a test can time the exit itself.
// Under the agent (HEAPAGENT_OUTPUT_DIR set) it first waits for the agent's
// first JS profile: over the inspector, sampling starts while the app already
// runs, and the test wants the allocation to be one the sampler saw.
'use strict';
const { highestSequence } = require('./wait_for_profiles');
// Reachable from the global object, so still live when node exits (a
// module-local array would be garbage by then, and rightly absent).
const kept = [];
globalThis.keptUntilExit = kept;
function allocateBeforeExit() {
  for (let i = 0; i < 20000; i++) kept.push({ i, text: `item ${i}` });
}
function allocateAndEnd() {
  allocateBeforeExit();
  console.error('stderr line');
  const mode = process.argv[2];
  console.log('exiting');
  switch (mode) {
    case 'natural': break;
    case 'exit': process.exit(3);
    case 'throw': throw new Error('uncaught on purpose');
    case 'sigint': process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 10000); break;
    default: process.exitCode = 99;
  }
}
// The same path with and without the agent (a timer callback), so that an
// uncaught exception's stack reads the same in both runs.
const outputDir = process.env.HEAPAGENT_OUTPUT_DIR;
const deadline = Date.now() + 30000;
const poll = setInterval(() => {
  if (!outputDir || highestSequence(outputDir, 'js') >= 0) {
    clearInterval(poll);
    allocateAndEnd();
  } else if (Date.now() > deadline) {
    console.error(`no js profile in ${outputDir}`);
    process.exit(4);
  }
}, 25);
