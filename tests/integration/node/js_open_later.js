// Opens its own inspector later with inspector.open() (the app was started
// with --inspect-port), allocates from allocateAfterOpen(), then waits for a
// js profile written after that and exits.
'use strict';
const inspector = require('inspector');
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
const kept = [];
function allocateAfterOpen() {
  for (let i = 0; i < 100000; i++) kept.push({ i, text: `late ${i}` });
}
setTimeout(() => {
  inspector.open();
  allocateAfterOpen();
  const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR, 'js');
  waitForProfiles(seen + 2, 60000, 'js').then(() => console.log(`kept ${kept.length}`),
    (error) => { console.error(error.message); process.exit(4); });
}, 200);
