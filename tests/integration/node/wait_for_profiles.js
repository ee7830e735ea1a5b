// Test helper for node scripts: resolves once the agent has written a profile
// of `kind` (native, js) with a sequence number >= `sequence` into
// HEAPAGENT_OUTPUT_DIR.
// The event waited for is "a file with that name exists"; the directory may
// not exist yet (the agent creates it lazily), so the listing is re-read every
// 25 ms. Rejects after `timeoutMs` so a broken agent fails the test instead of
// hanging it.
'use strict';
const fs = require('fs');

function highestSequence(dir, kind = 'native') {
  let highest = -1;
  const pattern = new RegExp(`-${kind}-(\\d+)\\.pb\\.gz$`);
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const match = pattern.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

function waitForProfiles(sequence, timeoutMs = 30000, kind = 'native') {
  const dir = process.env.HEAPAGENT_OUTPUT_DIR;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (highestSequence(dir, kind) >= sequence) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    };
    const poll = setInterval(check, 25);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no ${kind} profile with sequence >= ${sequence} in ${dir}`));
    }, timeoutMs);
    check();
  });
}

module.exports = { waitForProfiles, highestSequence };
