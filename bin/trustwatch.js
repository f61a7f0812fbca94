#!/usr/bin/env node
// Entry point of the `trustwatch` command: runs the compiled CLI from dist/.
import { main } from '../dist/cli/main.js';
import { escapeControlLines } from '../dist/model/terminal-text.js';

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    const text = escapeControlLines(String(error?.stack ?? error));
    process.stderr.write(`trustwatch: internal error: ${text}\n`);
    process.exitCode = 3;
  },
);
