// Named JS functions that make node allocate native memory and keep it:
// zlib (a gzip stream's state and output), Buffers (ArrayBuffer backing
// stores), crypto (OpenSSL hash contexts). Then work on libuv's thread pool
// (scrypt: memory allocated and freed by a pool thread with no JS on its
// stack). Waits for a periodic native profile written after all of it, exits.
'use strict';
const crypto = require('crypto');
const zlib = require('zlib');
const { waitForProfiles, highestSequence } = require('./wait_for_profiles');

const kept = [];
function compressReport(i) { kept.push(zlib.gzipSync(Buffer.alloc(4096, i & 0xff))); }
function allocatePayload(i) { kept.push(Buffer.alloc(8192, i & 0xff)); }
function hashRecord(i) { const hash = crypto.createHash('sha256'); hash.update(String(i)); kept.push(hash); }

for (let i = 0; i < 3000; i++) {
  compressReport(i);
  allocatePayload(i);
  hashRecord(i);
}

crypto.scrypt('password', 'salt', 64, { N: 16384, r: 8, p: 1, maxmem: 64 << 20 }, (error) => {
  if (error) throw error;
  const seen = highestSequence(process.env.HEAPAGENT_OUTPUT_DIR);
  waitForProfiles(seen + 2).then(
    () => console.log(`kept ${kept.length}`),
    (failure) => { console.error(failure.message); process.exit(4); });
});
