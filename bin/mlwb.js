#!/usr/bin/env node
// The mlwb command. It runs the CLI's bundle (scripts/cli-bundle.mjs): built by `npm install`,
// rebuilt here when a source changed since, and the TypeScript sources through tsx only when no
// bundle can be built. So `npx mlwb` is fast right after `npm install`, with no build step.
// CommonJS (bin/package.json), so that an unchanged re-add answered by the home's source watch
// (scripts/source-watch-client.cjs) starts no ES module loader at all.
'use strict';

// `mlwb … | head` closes the pipe early: that ends the command, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

async function loadMain() {
  if (!process.env.MLWB_FROM_SOURCES) {
    try {
      const { buildBundle, freshBundle } = await import('../scripts/cli-bundle.mjs');
      const url = freshBundle() ?? (await buildBundle());
      return await import(url.href);
    } catch {
      // No esbuild, a read-only install, or a build removed under us: the sources, through tsx.
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import('../electron/cli/main.ts');
}

async function run(argv) {
  // An unchanged re-add of a watched folder is answered by the home's source-watch process before
  // anything else loads; anything else, or no answer, runs as always.
  if (argv.includes('add')) {
    try {
      const code = await require('../scripts/source-watch-client.cjs').quickAdd(argv);
      if (code !== undefined) return code;
    } catch {
      // never in the way of the command itself
    }
  }
  const { main } = await loadMain();
  return main(argv, undefined, { entry: process.argv[1] });
}

// As an ES module's top-level await would: a command that never settles exits 13, not 0.
let settled = false;
process.on('exit', () => {
  if (!settled && process.exitCode === undefined) process.exitCode = 13;
});
run(process.argv.slice(2)).then((code) => {
  settled = true;
  process.exitCode = code;
});
