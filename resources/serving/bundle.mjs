// The model server as one ES-module file, for packaging: the image gets this file and the
// onnxruntime-node package next to it (in node_modules/), and nothing else of the workbench.
// esbuild bundles resources/serving/server.ts with every import but onnxruntime-node, whose
// native addon must be copied as it is. The output targets the Node.js of the runtime image (build-offline-images.sh).
//
//   import { buildServerBundle } from './resources/serving/bundle.mjs';
//   await buildServerBundle('/tmp/ctx/server.mjs');     // or: node resources/serving/bundle.mjs OUT
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The entry point, for callers that cache the bundle by its sources. */
export const serverEntry = path.join(here, 'server.ts');

/**
 * Writes the bundle to `outFile` (name it `.mjs`, so Node reads it as an ES module wherever it
 * lands); returns the source files it was built from, relative to the repository.
 * @param {string} outFile
 * @returns {Promise<{ outFile: string, inputs: string[] }>}
 */
export async function buildServerBundle(outFile) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [serverEntry],
    outfile: outFile,
    // Paths in the bundle's comments are relative to this, not to wherever the caller runs: the
    // same sources give the same bytes (the image's reuse digest), and no host path gets in.
    absWorkingDir: path.resolve(here, '..', '..'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: ['onnxruntime-node'],
    minifySyntax: true,
    keepNames: true,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return { outFile, inputs: Object.keys(result.metafile.inputs) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: node resources/serving/bundle.mjs OUT_FILE.mjs\n');
    process.exit(2);
  }
  await buildServerBundle(path.resolve(out));
}
