/**
 * Starts a worker thread from a module URL. Under TypeScript (tsx, vitest) the worker first
 * registers tsx itself: `--import tsx` in a worker's execArgv is not honoured when the parent
 * registered tsx through its API (as bin/mlwb.js does). A bundled build points at .js workers.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export const runningAsTypeScript = import.meta.url.endsWith('.ts');

/** The URL of a worker module next to `base`, by its name without extension. */
export function workerUrl(base: string, name: string): URL {
  return new URL(`./${name}${runningAsTypeScript ? '.ts' : '.js'}`, base);
}

export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
