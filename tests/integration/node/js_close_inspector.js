// Closes node's inspector - the one the agent opened - once the agent has
// written a js profile, then keeps running until its stdin ends: the app must
// not block in inspector.close(), and the agent must let go and say so once
// (the test reads that line, then ends stdin).
'use strict';
const inspector = require('inspector');
const { waitForProfiles } = require('./wait_for_profiles');
waitForProfiles(0, 60000, 'js').then(() => {
  inspector.close();
  console.log(`closed, url ${inspector.url()}`);
  process.stdin.resume();
  process.stdin.on('end', () => console.log('still running'));
}, (error) => { console.error(error.message); process.exit(4); });
