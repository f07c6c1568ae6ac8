#!/usr/bin/env node
// The mlwb command. The workbench is written in TypeScript and runs from source through tsx, so
// `npx mlwb` works right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
// `mlwb … | head` closes the pipe early: that ends the command, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
const { main } = await import('../electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
