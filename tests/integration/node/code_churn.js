// Code churn: compiles, runs and drops many short-lived functions (as a
// templating engine or a vm-heavy service does), far more than the agent's
// JS code map keeps, while retaining native memory from a named function.
// Exits after `argv[2]` native profiles.
'use strict';
const { waitForProfiles } = require('./wait_for_profiles');

const kept = [];
function retainNative(i) { kept.push(Buffer.alloc(1 << 20, i & 0xff)); }

const periods = Number(process.argv[2] || 4);
let round = 0;
function churn() {
  for (let i = 0; i < 20000; i++) {
    const generated = new Function('x', `return x * ${round} + ${i};`);
    for (let k = 0; k < 3; k++) generated(k);  // run it enough to get bytecode (and maybe Sparkplug code)
  }
  retainNative(round);
  round++;
}
const timer = setInterval(churn, 0);
waitForProfiles(periods).then(
  () => { clearInterval(timer); console.log(`rounds ${round}`); },
  (failure) => { console.error(failure.message); process.exit(4); });
