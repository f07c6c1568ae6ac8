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

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundles = new Map<string, URL | null>();

/** The worker bundled into one module (built once per process), or null when that fails. */
function bundledWorker(url: URL): URL | null {
  const cached = bundles.get(url.href);
  if (cached !== undefined) return cached;
  let result: URL | null = null;
  try {
    const esbuild = requireEsbuild();
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(url)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.contents;
    const digest = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const dir = path.join(projectRoot, 'node_modules', '.cache', 'mlwb-workers');
    const file = path.join(dir, `${path.basename(url.pathname, '.ts')}-${digest}.mjs`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, file);
    }
    result = pathToFileURL(file);
  } catch {
    result = null;
  }
  bundles.set(url.href, result);
  return result;
}

interface Esbuild {
  buildSync(options: Record<string, unknown>): { outputFiles: { contents: Uint8Array }[] };
}

function requireEsbuild(): Esbuild {
  // esbuild comes with tsx, which is what runs the TypeScript sources in the first place.
  return createRequire(import.meta.url)('esbuild') as Esbuild;
}
