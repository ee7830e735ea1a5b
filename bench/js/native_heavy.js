// A native-heap-heavy node workload for bench/allocator_run.sh: Buffers of
// varied sizes (64 B - 256 KiB, off V8's heap: malloc/calloc through node's
// ArrayBuffer allocator) retained in a sliding window and released, and
// zlib gzipSync/gunzipSync plus streaming gzip/gunzip (zlib's own
// malloc'd state and windows). The mix fragments the native heap the way a
// service with caches and compression does. Fixed work; prints a checksum.
'use strict';
const zlib = require('zlib');

const ROUNDS = Number(process.argv[2] || 40);
const WINDOW = 4000;          // Buffers kept alive at a time
const PER_ROUND = 6000;       // Buffers allocated per round

let seed = 12345;
function random() {           // xorshift: same sizes in every run
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
function size() {             // log-uniform 64 B .. 256 KiB
  return Math.floor(64 * Math.pow(4096, random()));
}

const window = new Array(WINDOW);
let checksum = 0;
const text = Buffer.from('heapagent allocator benchmark '.repeat(2000));

function streamRoundTrip(input) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const gzip = zlib.createGzip({ level: 6 });
    const gunzip = zlib.createGunzip();
    gzip.pipe(gunzip);
    gunzip.on('data', (chunk) => chunks.push(chunk));
    gunzip.on('end', () => resolve(Buffer.concat(chunks)));
    gunzip.on('error', reject);
    for (let offset = 0; offset < input.length; offset += 16384) gzip.write(input.subarray(offset, offset + 16384));
    gzip.end();
  });
}

async function main() {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      const slot = Math.floor(random() * WINDOW);
      const buffer = Buffer.allocUnsafe(size());
      buffer[0] = i & 0xff;
      window[slot] = buffer;  // the previous one becomes garbage (freed after GC)
    }
    for (let i = 0; i < 20; i++) {
      const compressed = zlib.gzipSync(text.subarray(0, 1000 + Math.floor(random() * (text.length - 1000))));
      checksum = (checksum + zlib.gunzipSync(compressed).length) >>> 0;
    }
    const echoed = await streamRoundTrip(text);
    checksum = (checksum + echoed.length) >>> 0;
  }
  let retained = 0;
  for (const buffer of window) if (buffer) retained += buffer.length;
  console.log(`checksum ${checksum} retained ${retained}`);
}

main();
