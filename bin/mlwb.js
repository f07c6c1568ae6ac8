#!/usr/bin/env node
// The mlwb command. It runs the CLI's bundle (scripts/cli-bundle.mjs): built by `npm install`,
// rebuilt here when a source changed since, and the TypeScript sources through tsx only when no
// bundle can be built. So `npx mlwb` is fast right after `npm install`, with no build step.

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

const argv = process.argv.slice(2);
// An unchanged re-add of a watched folder is answered by the home's source-watch process before
// anything else loads (scripts/source-watch-client.mjs); anything else, or no answer, runs as always.
let code;
if (argv.includes('add')) {
  try {
    const { quickAdd } = await import('../scripts/source-watch-client.mjs');
    code = await quickAdd(argv);
  } catch {
    // never in the way of the command itself
  }
}
if (code === undefined) {
  const { main } = await loadMain();
  code = await main(argv, undefined, { entry: process.argv[1] });
}
process.exitCode = code;
