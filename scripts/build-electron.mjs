// Bundles the Electron main process (ESM) and the preload (CommonJS: sandboxed preloads cannot be
// ESM) into dist-electron/. Native modules stay external: electron-builder rebuilds them.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['electron/main.ts'],
  outfile: 'dist-electron/main.js',
  format: 'esm',
  packages: 'external',
});
// Worker threads are separate entry points, next to main.js (see electron/core/workerThreads.ts).
await build({
  ...common,
  entryPoints: {
    storeWorker: 'electron/core/objects/storeWorker.ts',
    driftWorker: 'electron/core/drift/driftWorker.ts',
    evaluationWorker: 'electron/core/evaluation/evaluationWorker.ts',
  },
  outdir: 'dist-electron',
  format: 'esm',
  packages: 'external',
});
await build({
  ...common,
  entryPoints: ['electron/preload.ts'],
  outfile: 'dist-electron/preload.cjs',
  format: 'cjs',
  external: ['electron'],
});
