// Keeps a little memory busy until the agent has written profile number
// argv[2] (0-based sequence), then exits.
'use strict';
const { waitForProfiles } = require('./wait_for_profiles');
const kept = [];
const timer = setInterval(() => { kept.push(Buffer.alloc(65536)); if (kept.length > 64) kept.shift(); }, 10);
waitForProfiles(Number(process.argv[2])).then(
  () => clearInterval(timer),
  (error) => { console.error(error.message); process.exit(4); });
