'use strict';
// An HTTP server for bench/js_run.sh: every request builds a realistic JSON
// response (an order with customer, line items, prices, timestamps), caches
// part of it in a bounded Map (an LRU-ish cache of recent orders, so some of
// what each request allocates lives on and is later evicted), serialises it
// and sends it.
//
// Usage: node bench/js/http_server.js PORT   (0 picks a free port)
// Listens on 127.0.0.1 and prints "listening PORT PID" on stdout when ready.
// SIGTERM/SIGINT close it and exit 0, so exit-time profilers
// (node --heap-prof, heapagent's final profile) write their files.

const http = require('http');

const requested = Number(process.argv[2]);
if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
  console.error('usage: node http_server.js PORT');
  process.exit(2);
}

const CACHE_SIZE = 20000;
const cache = new Map();
const SKUS = Array.from({ length: 500 }, (_, i) => ({
  sku: `SKU-${(i * 7919).toString(36).toUpperCase()}`,
  title: `Product ${i} — ${['red', 'green', 'blue', 'black'][i % 4]} ${['small', 'medium', 'large'][i % 3]}`,
  price: Math.round((5 + (i * 37) % 200) * 100) / 100,
}));
let counter = 0;

function buildOrder(n) {
  const items = [];
  const count = 5 + (n % 11);
  for (let i = 0; i < count; i++) {
    const product = SKUS[(n * 31 + i * 17) % SKUS.length];
    const quantity = 1 + ((n + i) % 4);
    items.push({
      sku: product.sku,
      title: product.title,
      quantity,
      unitPrice: product.price,
      total: Math.round(product.price * quantity * 100) / 100,
      attributes: { giftWrap: (n + i) % 5 === 0, warehouse: `WH-${(n + i) % 9}` },
    });
  }
  return {
    id: `ord_${n.toString(36)}_${Date.now().toString(36)}`,
    createdAt: new Date().toISOString(),
    customer: {
      id: n % 10000,
      name: `Customer ${n % 10000}`,
      email: `customer${n % 10000}@example.com`,
      address: { street: `${n % 999} Main St`, city: 'Springfield', zip: String(10000 + (n % 89999)) },
    },
    items,
    totals: {
      items: items.reduce((sum, item) => sum + item.total, 0),
      currency: 'EUR',
    },
    status: ['pending', 'paid', 'shipped'][n % 3],
  };
}

const server = http.createServer((req, res) => {
  const n = counter++;
  const order = buildOrder(n);
  // Cache the customer and the item list; evict the oldest beyond the bound.
  cache.set(order.id, { customer: order.customer, items: order.items, at: Date.now() });
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  const body = JSON.stringify({ order, related: cache.size, path: req.url });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

server.listen(requested, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port} ${process.pid}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
