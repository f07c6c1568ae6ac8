// The mlwb CLI as one ES-module bundle (with its worker threads), so a command starts in tens of
// milliseconds instead of paying for tsx and hundreds of module loads. `npm install`/`npm ci` build
// it (the `prepare` script); bin/mlwb.js rebuilds it when a source it was built from has changed
// since, so there is never a build step to remember, and falls back to the TypeScript sources
// through tsx when it cannot be built (no esbuild, a read-only install).
//
// Layout: dist/cli/manifest.json names the current build folder dist/cli/b-<digest>/ and every
// input file with its size and modification time. Builds go to a private folder first and are
// renamed into place, and the manifest is replaced atomically, so concurrent commands never see a
// half-written bundle.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = path.join(root, 'dist', 'cli');
const manifestFile = path.join(outRoot, 'manifest.json');

/** Entry points: the CLI and the worker threads it starts (found next to it by name). */
const entryPoints = {
  main: 'electron/cli/main.ts',
  storeWorker: 'electron/core/objects/storeWorker.ts',
  driftWorker: 'electron/core/drift/driftWorker.ts',
  evaluationWorker: 'electron/core/evaluation/evaluationWorker.ts',
};

/**
 * Native addons and CommonJS packages that load lazily (dockerode, ssh2 through createRequire)
 * stay outside; pure-JS ES packages (zod, yaml, ulid, ws) are bundled, which is what makes the
 * start fast.
 */
const external = [
  'better-sqlite3',
  '@duckdb/node-api',
  'onnxruntime-node',
  'dockerode',
  'ssh2',
  'cpu-features',
  'esbuild',
  'tsx',
  'electron',
  'bufferutil',
  'utf-8-validate',
];

/**
 * The URL of the bundled CLI's main module when the bundle matches the sources, else undefined.
 * `at`: the project's folder (this script's parent unless the caller is inside a bundle).
 */
export function freshBundle(at = root) {
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(at, 'dist', 'cli', 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.node !== process.versions.modules) return undefined;
  for (const [rel, size, mtimeMs] of manifest.inputs) {
    const st = fs.statSync(path.join(at, rel), { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
  }
  const dir = path.join(at, 'dist', 'cli', manifest.dir);
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) return undefined;
  // Marks the build as in use, so pruning (by this mark's age) never takes one a process may load;
  // at most daily, so starting a command writes nothing.
  if (Date.now() - st.mtimeMs > 24 * 3600_000) {
    try {
      const now = new Date();
      fs.utimesSync(dir, now, now);
    } catch {
      // a read-only install: nothing prunes there either
    }
  }
  return pathToFileURL(path.join(dir, 'main.js'));
}

/** Besides what esbuild reads, what decides the bundle's shape: this script and the tsconfigs. */
const buildInputs = [
  'scripts/cli-bundle.mjs',
  'package.json',
  'tsconfig.base.json',
  'electron/tsconfig.json',
  'shared/tsconfig.json',
];

/** Builds the bundle and records it; returns the URL of its main module. Throws when it cannot. */
export async function buildBundle() {
  const { build } = await import('esbuild');
  const started = Date.now();
  fs.mkdirSync(outRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(outRoot, 'tmp-'));
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints,
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external,
      minifySyntax: true,
      minifyWhitespace: true,
      keepNames: true,
      metafile: true,
      sourcemap: 'linked',
      logLevel: 'silent',
      // Bundled CommonJS code (ws) may still call require() for Node built-ins.
      banner: {
        js: "import { createRequire as __mlwbRequire } from 'node:module'; const require = __mlwbRequire(import.meta.url);",
      },
    });
    const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...buildInputs])]
      .filter((rel) => !rel.includes(':') && fs.existsSync(path.join(root, rel)))
      .map((rel) => {
        const st = fs.statSync(path.join(root, rel));
        return [rel, st.size, st.mtimeMs];
      });
    const digest = createHash('sha256');
    for (const f of fs.readdirSync(tmp).sort()) digest.update(f).update(fs.readFileSync(path.join(tmp, f)));
    const dir = `b-${digest.digest('hex').slice(0, 16)}`;
    const final = path.join(outRoot, dir);
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, final);
    } catch (err) {
      // Another command built the same bundle at the same moment: use theirs.
      if (!fs.existsSync(path.join(final, 'main.js'))) throw err;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // A source modified during the build may have been read before or after the edit: use this
    // bundle once, but do not vouch for it (as git treats racily clean files).
    if (inputs.every(([, , mtimeMs]) => mtimeMs < started - 1000)) {
      const manifest = { node: process.versions.modules, dir, inputs };
      const tmpManifest = `${manifestFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmpManifest, JSON.stringify(manifest));
      fs.renameSync(tmpManifest, manifestFile);
    }
    pruneOldBuilds(dir);
    return pathToFileURL(path.join(final, 'main.js'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Earlier builds that no command has started from for a week. A process loads its chunks and
 * workers lazily, from the build it started with, for as long as it runs (`mlwb ui`, supervisors):
 * every start marks its build (freshBundle), and only builds unmarked for that long go.
 */
function pruneOldBuilds(keep) {
  const weekAgo = Date.now() - 7 * 24 * 3600_000;
  for (const f of fs.readdirSync(outRoot)) {
    if (f === keep || !(f.startsWith('b-') || f.startsWith('tmp-'))) continue;
    const p = path.join(outRoot, f);
    try {
      if (fs.statSync(p).mtimeMs < weekAgo) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // pruned by another command meanwhile
    }
  }
}

// `node scripts/cli-bundle.mjs` (the prepare script): build now.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildBundle();
  } catch (err) {
    // Never fail an install for it: mlwb falls back to the sources.
    process.stderr.write(
      `mlwb: could not prebuild the CLI bundle (${err.message}); it will run from sources.\n`,
    );
  }
}
