/**
 * Starts a worker thread from a module URL. A bundled build (Electron) points at .js workers. Run
 * from TypeScript sources (the `mlwb` CLI through tsx, vitest), a worker is first bundled with
 * esbuild into one ES module under node_modules/.cache (where its package imports still resolve):
 * a worker that registers tsx itself takes ~140 ms to answer, a bundled one ~30 ms, and a CLI
 * add pays that for every store worker. Where that folder cannot be written, the worker registers
 * tsx itself (`--import tsx` in a worker's execArgv is not honoured when the parent registered tsx
 * through its API, as bin/mlwb.js does).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { packageRoot } from './packageRoot.ts';

export const runningAsTypeScript = import.meta.url.endsWith('.ts');

/** The URL of a worker module next to `base`, by its name without extension. */
export function workerUrl(base: string, name: string): URL {
  return new URL(`./${name}${runningAsTypeScript ? '.ts' : '.js'}`, base);
}

export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const bundled = bundledWorker(url);
  if (bundled) return new Worker(bundled, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

const projectRoot = packageRoot();
const cacheDir = path.join(projectRoot, 'node_modules', '.cache', 'mlwb-workers');
const bundles = new Map<string, URL | null>();

/**
 * The worker bundled into one module, or null when that fails. A bundle is reused, across
 * processes, while every source file it was built from keeps its size and modification time (a
 * few stats instead of ~50 ms of esbuild for every CLI command that starts a worker).
 */
function bundledWorker(url: URL): URL | null {
  const cached = bundles.get(url.href);
  // Another process may have pruned it since (see pruneOlderBundles): then look again.
  if (cached === null || (cached && fs.existsSync(cached))) return cached;
  const result = workerBundle(url);
  bundles.set(url.href, result);
  return result;
}

/** The bundle for a worker module: the cached one while its sources are unchanged, else a new one. */
export function workerBundle(url: URL): URL | null {
  let result: URL | null = null;
  const entry = fileURLToPath(url);
  const name = `${path.basename(entry, '.ts')}-${createHash('sha256').update(entry).digest('hex').slice(0, 8)}`;
  const manifestFile = path.join(cacheDir, `${name}.json`);
  try {
    result = reusableBundle(manifestFile, entry);
    if (!result) {
      const started = Date.now();
      const out = requireEsbuild().buildSync({
        entryPoints: [entry],
        absWorkingDir: projectRoot,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const code = out.outputFiles[0]!.contents;
      const digest = createHash('sha256').update(code).digest('hex').slice(0, 16);
      const file = path.join(cacheDir, `${name}-${digest}.mjs`);
      fs.mkdirSync(cacheDir, { recursive: true });
      writeAtomically(file, code);
      const inputs = Object.keys(out.metafile.inputs).map((rel) => {
        const file = path.join(projectRoot, rel);
        const st = fs.statSync(file);
        return { path: file, size: st.size, mtimeMs: st.mtimeMs };
      });
      // A source modified around the build may have been read before or after the edit: use the
      // bundle this once but do not vouch for it (as git treats racily clean files).
      if (inputs.every((i) => i.mtimeMs < started - 1000)) {
        const manifest: BundleManifest = { entry, file, inputs };
        writeAtomically(manifestFile, JSON.stringify(manifest));
      }
      pruneOlderBundles(name, file);
      result = pathToFileURL(file);
    }
  } catch {
    result = null;
  }
  return result;
}

/** Bundles of this worker built from older sources, once no process can still be loading them. */
function pruneOlderBundles(name: string, keep: string): void {
  const hourAgo = Date.now() - 3600_000;
  for (const f of fs.readdirSync(cacheDir)) {
    const file = path.join(cacheDir, f);
    if (file === keep || !f.startsWith(`${name}-`) || !f.endsWith('.mjs')) continue;
    if (fs.statSync(file).mtimeMs < hourAgo) fs.rmSync(file, { force: true });
  }
}

interface BundleManifest {
  entry: string;
  file: string;
  inputs: { path: string; size: number; mtimeMs: number }[];
}

function reusableBundle(manifestFile: string, entry: string): URL | null {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BundleManifest;
  } catch {
    return null;
  }
  if (manifest.entry !== entry || !fs.existsSync(manifest.file)) return null;
  for (const input of manifest.inputs) {
    const st = fs.statSync(input.path, { throwIfNoEntry: false });
    if (!st || st.size !== input.size || st.mtimeMs !== input.mtimeMs) return null;
  }
  return pathToFileURL(manifest.file);
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

interface Esbuild {
  buildSync(options: Record<string, unknown>): {
    outputFiles: { contents: Uint8Array }[];
    metafile: { inputs: Record<string, unknown> };
  };
}

function requireEsbuild(): Esbuild {
  // esbuild comes with tsx, which is what runs the TypeScript sources in the first place.
  return createRequire(import.meta.url)('esbuild') as Esbuild;
}
