// Direct (in-process) JS heap mode: retains known objects from named
// functions on the main thread, waits for two js profiles written after that,
// then exits with process.exit(argv[2] || 0) (the final profile then comes
// from node's AtExit, not from the environment's teardown).
'use strict';
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');

const kept = [];
function directRetainObjects() {
  // 100k small objects of one shape: V8 gives their exact scaled count.
  for (let i = 0; i < 100000; i++) kept.push({ index: i, next: null });
}
function directRetainArrays() {
  for (let i = 0; i < 2000; i++) kept.push(new Array(1000).fill(i));
}
directRetainObjects();
directRetainArrays();

const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR, 'js');
const exitCode = Number(process.argv[2] || 0);
const busy = setInterval(() => kept.length, 100);
waitForProfiles(seen + 2, 60000, 'js').then(() => {
  clearInterval(busy);
  if (process.argv[3] === 'natural') return;  // the event loop empties: teardown
  process.exit(exitCode);
}, (error) => { console.error(error.message); process.exit(4); });
