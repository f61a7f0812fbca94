#!/usr/bin/env node
// Entry point of the `trustwatch` command: runs the compiled CLI from dist/.
import { main } from '../dist/cli/main.js';

// A closed pipe (| head) ends the output, not the program with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    process.stderr.write(`trustwatch: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 3;
  },
);
