// Runs @datadog/pprof's heap profiler (what dd-trace and Pyroscope's Node SDK
// use) in the same process as the agent, reads it once per 200 ms, and exits
// once the agent has written two js profiles.
'use strict';
const pprof = require('@datadog/pprof');
const { waitForProfiles } = require('./wait_for_profiles');
pprof.heap.start(524288, 64);
const kept = [];
const timer = setInterval(() => {
  for (let i = 0; i < 1000; i++) kept.push({ i });
  pprof.heap.profile();
}, 200);
waitForProfiles(1, 60000, 'js').then(() => clearInterval(timer),
  (error) => { console.error(error.message); process.exit(4); });
