// Retains 48 MiB of Buffers from retainBuffers(), then waits for the next
// periodic profile and exits. (No churn here: V8 frees dead ArrayBuffers'
// memory on a background thread after GC, so garbage Buffers would still
// count as in use for an unpredictable while.)
'use strict';
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
const kept = [];

function retainBuffers() {
  for (let i = 0; i < 3072; i++) kept.push(Buffer.alloc(16384, 1));
}

retainBuffers();
// A profile whose snapshot was taken during retainBuffers() may still be
// being written now; the one after it certainly started afterwards.
const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR);
waitForProfiles(seen + 2).then(
  () => console.log(`retained ${kept.length}`),
  (error) => { console.error(error.message); process.exit(4); });
