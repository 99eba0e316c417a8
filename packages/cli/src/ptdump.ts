#!/usr/bin/env node
// The ptdump executable: runs main() on the process's arguments and standard streams.
import { main } from './_main';

// a closed pipe (ptdump ... | head) ends the listing quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
});
