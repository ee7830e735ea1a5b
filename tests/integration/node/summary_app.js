// The heap summary's subject: `node summary_app.js leak` retains JS objects
// and Buffers every tick; `node summary_app.js churn` allocates exactly the
// same and keeps nothing. Both run until the agent has appended
// HEAPAGENT_TEST_RECORDS records to this process's summary file, then stop
// allocating, wait for two more records (taken while nothing changes), print
// process.memoryUsage() as one JSON line and exit.
'use strict';
const fs = require('fs');
const path = require('path');

const mode = process.argv[2];
if (mode !== 'leak' && mode !== 'churn') {
  console.error('usage: node summary_app.js leak|churn');
  process.exit(2);
}
const records = Number(process.env.HEAPAGENT_TEST_RECORDS || 10);
// The poll below runs every few ms for the whole test: it must allocate
// (almost) nothing itself, or its own garbage - in-process reads force no GC -
// would look like a growing JS site to the leak finder. So the file's name
// is looked up until found, then only its new bytes are read into one buffer.
let summaryPath = null;
const summaryFile = () => {
  if (summaryPath) return summaryPath;
  const dir = process.env.HEAPAGENT_OUTPUT_DIR;
  const name = (fs.existsSync(dir) ? fs.readdirSync(dir) : []).find(n => n.endsWith(`-${process.pid}-summary.jsonl`));
  if (name) summaryPath = path.join(dir, name);
  return summaryPath;
};
const chunk = Buffer.alloc(64 * 1024);
let linesSeen = 0;
let bytesSeen = 0;
const written = () => {
  const file = summaryFile();
  if (!file) return 0;
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, bytesSeen)) > 0; bytesSeen += n) {
      for (let i = 0; i < n; i++) if (chunk[i] === 10) linesSeen++;
    }
  } finally {
    fs.closeSync(fd);
  }
  return linesSeen;
};

const retained = [];
let sink = 0;
function allocate() {
  const objects = [];
  for (let i = 0; i < 256; i++) objects.push({ id: i, values: new Array(16).fill(i) });
  const buffer = Buffer.alloc(64 * 1024, 1);
  if (mode === 'leak') retained.push(objects, buffer);
  else sink += objects.length + buffer[0];
}

let stopped = false;
function tick() {
  if (!stopped) {
    allocate();  // about 2 x 110 KiB: some 10 MiB/s
    allocate();
    setTimeout(tick, 20);
  }
}
tick();
const deadline = Date.now() + 60000;
let stopAt = 0;
const poll = setInterval(() => {
  const count = written();
  if (!stopped && count >= records) {
    stopped = true;
    stopAt = count;
  }
  if (stopped && count >= stopAt + 2) {
    clearInterval(poll);
    console.log(JSON.stringify({ records: count, retained: retained.length, sink: sink % 10, memory: process.memoryUsage() }));
  } else if (Date.now() > deadline) {
    clearInterval(poll);
    console.error(`only ${count} summary records in 60 s`);
    process.exitCode = 1;
  }
}, 25);
