// Retains 48 MiB of Buffers from retainBuffers(), churns 64 MiB from
// churnBuffers() (collected at once when run with --expose-gc, so that only
// the retained Buffers are in use), then waits for the next periodic profile
// and exits.
'use strict';
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
const kept = [];

function retainBuffers() {
  for (let i = 0; i < 3072; i++) kept.push(Buffer.alloc(16384, 1));
}

function churnBuffers() {
  let sum = 0;
  for (let i = 0; i < 4096; i++) sum += Buffer.alloc(16384, 2)[0];
  return sum;
}

retainBuffers();
churnBuffers();
if (global.gc) global.gc();
const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR);
waitForProfiles(seen + 1).then(
  () => console.log(`retained ${kept.length}`),
  (error) => { console.error(error.message); process.exit(4); });
