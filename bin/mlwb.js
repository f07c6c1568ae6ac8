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

async function loadMain() {
  if (!process.env.MLWB_FROM_SOURCES) {
    try {
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

const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
