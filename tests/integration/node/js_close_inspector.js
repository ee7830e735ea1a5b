// Closes node's inspector - the one the agent opened - once the agent has
// written a js profile, then keeps running a little: the app must not block
// in inspector.close(), and the agent must let go and say so once.
'use strict';
const inspector = require('inspector');
const { waitForProfiles } = require('./wait_for_profiles');
waitForProfiles(0, 60000, 'js').then(() => {
  inspector.close();
  console.log(`closed, url ${inspector.url()}`);
  setTimeout(() => console.log('still running'), 300);
}, (error) => { console.error(error.message); process.exit(4); });
