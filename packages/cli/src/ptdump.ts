#!/usr/bin/env node
// The ptdump executable: runs main() on the process's arguments and standard streams.
//
// Standard output is written with blocking writes to file descriptor 1, not through process.stdout: main() runs
// the whole walk synchronously, so a stream could neither tell it that the reader went away (its 'error' event
// waits for a turn of the event loop that never comes) nor hold it back when the reader is slow (it would queue
// every block in memory). A write that blocks is the backpressure; EPIPE ends the run at once.
import { writeSync } from 'node:fs';
import { CliError, OutputClosed } from './_errors';
import { mainAsync } from './_live';

const STDOUT = 1;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `text` to standard output; throws OutputClosed when the reader has gone. */
function writeOut(text: string): void {
  writeBytes(Buffer.from(text, 'utf8'));
}

/** Writes all of `bytes` to standard output (one write for a block, unless the reader takes less at once). */
function writeBytes(bytes: Uint8Array): void {
  let done = 0;
  let wait = 1;
  while (done < bytes.length) {
    try {
      done += writeSync(STDOUT, bytes, done, bytes.length - done);
      wait = 1;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // node ignores SIGPIPE, so a closed pipe or socket shows here as EPIPE
      if (code === 'EPIPE') throw new OutputClosed();
      if (code !== 'EAGAIN') throw new CliError(`cannot write to standard output (${code ?? String(err)})`);
      // a descriptor someone made non-blocking: wait for the reader (up to 50 ms at a time) and write again
      Atomics.wait(pause, 0, 0, wait);
      wait = Math.min(wait * 2, 50);
    }
  }
}

// a reader of standard error that went away: nothing left to tell, and nothing to crash over
process.stderr.on('error', () => {});

// mainAsync is main() but for --gdb, whose memory arrives over a socket; without --gdb it runs main() once
mainAsync(process.argv.slice(2), {
  stdout: writeOut,
  stdoutBytes: writeBytes,
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    // a failure main() did not foresee still ends in one line, not a stack trace
    process.stderr.write(`ptdump: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
