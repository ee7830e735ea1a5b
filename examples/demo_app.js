// A small service-like app for the demo: a few recognisable allocation sites,
// some retained (the kind of growth heapagent is for), some churned.
//   cacheResponse      - an unbounded Map of response Buffers (grows forever)
//   compressLogBatch   - zlib-compressed log batches, the last 200 kept
//   handleRequest      - per-request scratch Buffers and JSON, all garbage
//   addRetryInterceptors - the incident's bug: every outbound call pushes two
//                        more closures onto a shared client's interceptor list
//   rememberSession    - an unbounded in-process Map of JS objects
'use strict';
const zlib = require('zlib');

const responseCache = new Map();
const compressedLogs = [];

function cacheResponse(key) {
  responseCache.set(key, Buffer.alloc(32 * 1024, key % 251));
}

function compressLogBatch(batch) {
  const lines = Array.from({ length: 200 }, (_, i) => `batch=${batch} line=${i} status=200 path=/api/items`);
  compressedLogs.push(zlib.gzipSync(lines.join('\n')));
  if (compressedLogs.length > 200) compressedLogs.shift();
}

const sharedClient = { interceptors: { request: [], response: [] } };
function addRetryInterceptors(client, attempt) {
  client.interceptors.request.push((config) => ({ ...config, retry: attempt }));
  client.interceptors.response.push((error) => (attempt < 3 ? Promise.reject(error) : error));
}

const sessions = new Map();
function rememberSession(id) {
  sessions.set(`session-${id}`, { id, user: `user-${id % 977}`, roles: ['reader', 'writer'], seen: [Date.now()] });
}

function handleRequest(i) {
  addRetryInterceptors(sharedClient, i);
  rememberSession(i);
  const scratch = Buffer.allocUnsafe(16 * 1024);
  scratch.fill(i % 256);
  return JSON.parse(JSON.stringify({ id: i, items: Array.from({ length: 20 }, (_, j) => j) })).id;
}

const seconds = Number(process.argv[2] || 6);
const end = Date.now() + seconds * 1000;
let request = 0;
const timer = setInterval(() => {
  for (let i = 0; i < 200; i++) handleRequest(request++);
  cacheResponse(request);
  compressLogBatch(request);
  if (Date.now() > end) {
    clearInterval(timer);
    console.log(`demo app: ${request} requests, ${responseCache.size} cached responses`);
  }
}, 5);
