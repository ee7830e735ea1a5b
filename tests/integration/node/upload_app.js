// A small service-like app for the upload tests: every 50 ms it retains JS
// objects (retainJsObjects) and 64 KiB Buffers (retainBuffers, native memory)
// until UPLOAD_APP_MS have passed, then exits with UPLOAD_APP_EXIT_CODE.
'use strict';
const retained = [];
function retainJsObjects() {
  for (let i = 0; i < 2000; i++) retained.push({ id: i, payload: new Array(16).fill(i) });
}
function retainBuffers() {
  retained.push(Buffer.alloc(64 * 1024, 1));
}
const runMs = Number(process.env.UPLOAD_APP_MS || 2000);
const exitCode = Number(process.env.UPLOAD_APP_EXIT_CODE || 0);
const end = Date.now() + runMs;
const timer = setInterval(() => {
  retainJsObjects();
  retainBuffers();
  if (Date.now() >= end) {
    clearInterval(timer);
    process.exitCode = exitCode;
  }
}, 50);
