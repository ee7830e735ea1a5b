// Ends in the way argv[2] names after allocating from a named function; prints
// "exiting" on stdout right before, so a test can time the exit itself.
'use strict';
// Reachable from the global object, so still live when node exits (a
// module-local array would be garbage by then, and rightly absent).
const kept = [];
globalThis.keptUntilExit = kept;
function allocateBeforeExit() {
  for (let i = 0; i < 20000; i++) kept.push({ i, text: `item ${i}` });
}
allocateBeforeExit();
console.error('stderr line');
const mode = process.argv[2];
console.log('exiting');
switch (mode) {
  case 'natural': break;
  case 'exit': process.exit(3);
  case 'throw': throw new Error('uncaught on purpose');
  case 'sigint': process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 10000); break;
  default: process.exitCode = 99;
}
