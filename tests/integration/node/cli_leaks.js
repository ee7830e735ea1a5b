// Leak scenarios for `heapagent leaks`, run under the agent: a service-like
// loop handles "requests" until the agent has written the js profile with
// sequence HEAPAGENT_TEST_PERIODS (default 8), then exits.
//
//   node cli_leaks.js interceptors   axiosRetry(client) per request: two more
//                                    interceptors on a shared list, forever
//   node cli_leaks.js map-cache      an unbounded Map of responses
//   node cli_leaks.js buffers        retained Buffers (off the JS heap)
//   node cli_leaks.js bounded-cache  control: an LRU capped at 2000 entries,
//                                    full within the first period
//   node cli_leaks.js churn          control: allocates per request, keeps nothing
//
// Run with --max-inlined-bytecode-size=0: V8's sampling heap profiler names
// the physical frame, so a function TurboFan inlined into its caller would be
// reported as the caller (serve), and the test wants the leaking function.
'use strict';
const { waitForProfiles } = require('./wait_for_profiles');

const scenario = process.argv[2];
const periods = Number(process.env.HEAPAGENT_TEST_PERIODS || 8);
const REQUESTS_PER_TICK = Number(process.env.HEAPAGENT_TEST_REQUESTS || 40);

// --- interceptors: the incident's shape ---------------------------------
class InterceptorManager {
  constructor() { this.handlers = []; }
  use(fulfilled, rejected) { this.handlers.push({ fulfilled, rejected }); return this.handlers.length - 1; }
}
const client = { interceptors: { request: new InterceptorManager() } };

function axiosRetry(instance, options) {
  // Per-call retry state captured by the interceptors (as axios-retry does).
  const state = { retries: options.retries, delays: new Array(16).fill(options.delay), label: `retry-${options.id}` };
  instance.interceptors.request.use(
    function onRetryRequest(config) { config.retryState = state; return config; },
    function onRetryError(error) { state.retries--; return Promise.reject(error); });
}

// --- map-cache ------------------------------------------------------------
const responseCache = new Map();
function cacheQuote(id) {
  responseCache.set(`/quotes/${id}`, { id, body: new Array(24).fill(id), at: Date.now() });
}

// --- buffers --------------------------------------------------------------
const retainedPayloads = [];
function retainPayload(id) {
  const payload = Buffer.alloc(2048, id & 0xff);
  retainedPayloads.push(payload);
}

// --- controls -------------------------------------------------------------
const lru = new Map();
function boundedCacheStore(id) {
  lru.set(id, { id, body: new Array(24).fill(id), at: Date.now() });
  if (lru.size > 2000) lru.delete(lru.keys().next().value);
}

let sink = 0;
function churnRequest(id) {
  const rows = [];
  for (let i = 0; i < 8; i++) rows.push({ id, i, text: `row-${id}-${i}` });
  const buffer = Buffer.alloc(1024, id & 0xff);
  sink += rows.length + buffer[0] + JSON.stringify(rows).length;
}

const handlers = {
  interceptors: (id) => axiosRetry(client, { retries: 3, delay: 100, id }),
  'map-cache': cacheQuote,
  buffers: retainPayload,
  'bounded-cache': boundedCacheStore,
  churn: churnRequest,
};
const handle = handlers[scenario];
if (!handle) {
  console.error(`unknown scenario ${scenario}; one of ${Object.keys(handlers).join(', ')}`);
  process.exit(2);
}
if (scenario === 'bounded-cache') for (let i = 0; i < 2000; i++) boundedCacheStore(-i);

let nextId = 0;
let done = false;
function serve() {
  for (let i = 0; i < REQUESTS_PER_TICK; i++) handle(nextId++);
  if (!done) setTimeout(serve, 2);
}
serve();
waitForProfiles(periods, 60000, 'js').then(
  () => { done = true; console.log(`served ${nextId} requests; sink ${sink % 10}`); },
  (error) => { done = true; console.error(error.message); process.exitCode = 1; });
