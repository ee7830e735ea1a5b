// Ends in the way argv[2] names, after allocating a little, and prints to
// both streams so tests can compare the output with a bare run.
'use strict';
const kept = [];
for (let i = 0; i < 256; i++) kept.push(Buffer.alloc(8192));
console.log('stdout line', kept.length);
console.error('stderr line');
switch (process.argv[2]) {
  case 'natural': break;
  case 'exit': process.exit(7);
  case 'exitcode': process.exitCode = 3; break;
  case 'throw': throw new Error('uncaught on purpose');
  case 'reject': Promise.reject(new Error('unhandled rejection on purpose')); break;
  default: console.log('unknown mode'); process.exitCode = 99;
}
