// Spawns a shell (inheriting LD_PRELOAD) that reports its pid, its thread
// names and its open descriptors, then prints what it said.
'use strict';
const { execFileSync } = require('child_process');
const out = execFileSync('/bin/sh', ['-c', 'echo pid $$; cat /proc/$$/task/*/comm; ls -l /proc/$$/fd'], {
  encoding: 'utf8',
});
process.stdout.write(out);
