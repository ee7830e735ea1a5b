// Another profiler in the same process (here an in-process inspector session,
// as a user's tool or @datadog/pprof's restart would) stops V8's sampling
// heap profiler that the agent runs. The agent must say so once and carry on.
'use strict';
const inspector = require('inspector');
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');
const dir = process.env.HEAPAGENT_OUTPUT_DIR;
const kept = [];
function keepAllocating() {
  for (let i = 0; i < 2000; i++) kept.push({ i, text: `row ${i}` });
}
const ticker = setInterval(keepAllocating, 20);

const session = new inspector.Session();
session.connect();
waitForProfiles(highestSequence(dir, 'js') + 1, 60000, 'js').then(() => {
  session.post('HeapProfiler.stopSampling', (error) => {
    if (error) { console.error(`stopSampling: ${error.message}`); process.exit(5); }
    waitForProfiles(highestSequence(dir, 'js') + 3, 60000, 'js').then(() => {
      clearInterval(ticker);
      session.disconnect();
    });
  });
}, (error) => { console.error(error.message); process.exit(4); });
