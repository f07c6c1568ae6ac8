#!/usr/bin/env node
// The mlwb command. It runs the CLI's bundle (scripts/cli-bundle.mjs): built by `npm install`,
// rebuilt here when a source changed since, and the TypeScript sources through tsx only when no
// bundle can be built. So `npx mlwb` is fast right after `npm install`, with no build step.
import { buildBundle, freshBundle } from '../scripts/cli-bundle.mjs';

// `mlwb … | head` closes the pipe early: that ends the command, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/**
 * `mlwb dataset add` stores files on worker threads, which take ~80 ms of CPU each to start: two
 * start here, while the CLI's modules load (~0.2 s), and the store's pool takes them over
 * (workerThreads.ts takeEarlyWorker) and starts any more it wants. Unused, they end with the process.
 */
async function startStoreWorkersEarly(bundle, argv) {
  const words = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    if (argv[i] === '--home') i++;
    else if (!argv[i].startsWith('-')) words.push(argv[i]);
  }
  if (words[0] !== 'dataset' || words[1] !== 'add') return;
  const { Worker } = await import('node:worker_threads');
  const url = new URL('storeWorker.js', bundle);
  const waiting = [];
  for (let n = 0; n < 2; n++) {
    const worker = new Worker(url);
    // One that fails before it is taken over is dropped: the pool then starts its own.
    worker.on('error', () => {});
    worker.once('exit', () => waiting.splice(waiting.indexOf(worker) >>> 0, 1));
    worker.unref();
    waiting.push(worker);
  }
  globalThis[Symbol.for('mlwb.earlyWorkers')] = new Map([[url.href, waiting]]);
}

async function loadMain() {
  if (!process.env.MLWB_FROM_SOURCES) {
    try {
      const url = freshBundle() ?? (await buildBundle());
      await startStoreWorkersEarly(url, process.argv.slice(2));
      return await import(url.href);
    } catch {
      // No esbuild, a read-only install, or a build removed under us: the sources, through tsx.
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../electron/cli/main.ts');
}

const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
