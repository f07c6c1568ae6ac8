/**
 * Starts the model server as a real child process on 127.0.0.1 with an ephemeral port, for the
 * serving tests: from the TypeScript sources through tsx, or from a bundle. The port is read from
 * the server's first log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const irisModel = path.join(repoRoot, 'electron/core/registry/fixtures/iris-logreg.onnx');
export const regressionModel = path.join(repoRoot, 'electron/core/evaluation/fixtures/regression.onnx');

/** The registry record of the example classifier, as the registry stores it. */
export const irisMeta = {
  name: 'iris',
  version: 3,
  inputs: [{ name: 'input', type: 'float32', shape: [-1, 4] }],
  outputs: [
    { name: 'probabilities', type: 'float32', shape: [-1, 3] },
    { name: 'label', type: 'int64', shape: [-1] },
  ],
  features: { input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
  classes: ['setosa', 'versicolor', 'virginica'],
  task: 'classification',
};

export const regressionMeta = {
  name: 'reg',
  version: 1,
  inputs: [{ name: 'x', type: 'float64', shape: [-1, 2] }],
  outputs: [{ name: 'variable', type: 'float32', shape: [-1, 1] }],
  features: { x: ['u', 'v'] },
  classes: null,
  task: 'regression',
};

export interface RunningServer {
  url: string;
  proc: ChildProcess;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dir: string;
  stop(): Promise<void>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-serving-'));
}

export async function startServer(opts: {
  model: string;
  meta: object;
  env?: Record<string, string>;
  /** A bundled server file to run instead of the sources. */
  bundle?: string;
  dir?: string;
}): Promise<RunningServer> {
  const dir = opts.dir ?? tempDir();
  const metaFile = path.join(dir, 'model.json');
  fs.writeFileSync(metaFile, JSON.stringify(opts.meta));
  const args = opts.bundle ? [opts.bundle] : ['--import', 'tsx', path.join(here, 'server.ts')];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      MLWB_MODEL_PATH: opts.model,
      MLWB_MODEL_META: metaFile,
      PORT: '0',
      HOST: '127.0.0.1',
      // Several server processes unless a test asks otherwise: what an image does on a machine
      // with several CPUs, whatever the machine running the tests has.
      MLWB_SERVER_WORKERS: '2',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 20);
    exited.then(({ code }) => {
      clearInterval(timer);
      reject(new Error(`the server exited (${code}) before listening: ${err}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    stdout: () => out,
    exited,
    dir,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls readiness until 200 (or fails after `ms`). */
export async function waitReady(url: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const res = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not become ready within ${ms} ms`);
}

export async function post(
  url: string,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; requestId: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
    requestId: res.headers.get('x-request-id'),
  };
}
