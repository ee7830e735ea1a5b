// Prints what the app can see of its own process, on the main thread and in
// a worker: run bare and under the agent, the output must be identical.
'use strict';
const Module = require('module');
const { Worker, isMainThread, parentPort } = require('worker_threads');

function view() {
  return {
    requireCache: Object.keys(require.cache).map((key) => key.replace(__dirname, '.')),
    pathCache: Object.values(Module._pathCache).map((value) => value.replace(__dirname, '.')),
    globals: Object.getOwnPropertyNames(globalThis).sort(),
    argv: process.argv.slice(2),
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS || '',
    moduleLoadList: process.moduleLoadList.filter((entry) => !entry.includes('worker')),
    children: module.children.map((child) => child.id.replace(__dirname, '.')),
    preloadGlobals: typeof heapagent,
  };
}

if (isMainThread) {
  const mainView = view();
  const worker = new Worker(__filename);
  worker.on('message', (workerView) => {
    console.log(JSON.stringify({ main: mainView, worker: workerView }));
    process.exitCode = 3;
  });
} else {
  parentPort.postMessage(view());
}
