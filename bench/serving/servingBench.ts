/**
 * `npm run bench -- serving`: one-row requests against the model server (bundled, as it runs in an
 * image, with its request log on) and against a bare onnxruntime-node HTTP server on the same model
 * (bareServer.mjs), side by side in one run on the host. The load is wrk's shape — 8 keep-alive
 * connections in a closed loop — from wrk when it is installed, else from loadGenerator.ts. Target:
 * the model server keeps ≥ 0.8× the bare server's throughput.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServerBundle } from '../../resources/serving/bundle.mjs';
import { irisMeta, irisModel } from '../../resources/serving/testServer.ts';
import type { Figure } from '../datasets/datasetBench.ts';
import { generateLoad, type LoadResult } from './loadGenerator.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
// The serving tests' example classifier and its registry record.
const model = irisModel;
const meta = irisMeta;
const body = JSON.stringify({
  inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
});
const CONNECTIONS = 8;
const SECONDS = Number(process.env.MLWB_BENCH_SERVING_SECONDS ?? 5);
const ROUNDS = 3;

function start(
  args: string[],
  env: NodeJS.ProcessEnv,
  portLine: RegExp,
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = portLine.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`exited (${code}) before it was ready: ${out}`)));
  });
}

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the model server did not become ready');
}

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk prints its version and exits 1; only a missing binary means no wrk.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** wrk -t2 -c8 with a Lua script posting the body; latency percentiles from its --latency table. */
function runWrk(port: number, urlPath: string, dir: string): LoadResult {
  const script = path.join(dir, 'post.lua');
  fs.writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  const out = execFileSync(
    'wrk',
    [
      '-t2',
      `-c${CONNECTIONS}`,
      `-d${SECONDS}s`,
      '--latency',
      '-s',
      script,
      `http://127.0.0.1:${port}${urlPath}`,
    ],
    { encoding: 'utf8' },
  );
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) return Number.NaN;
    const unit = m[2];
    const v = Number(m[1]);
    return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requests,
    errors: non2xx,
    seconds: SECONDS,
    perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
  };
}

export async function runServingBench(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-serving-bench-'));
  const serverFile = path.join(dir, 'server.mjs');
  await buildServerBundle(serverFile);
  // The image's layout: onnxruntime-node beside the server file.
  const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ortDir, path.join(dir, 'node_modules', 'onnxruntime-node'));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(meta));

  const wrk = hasWrk();
  const load = (port: number, urlPath: string) =>
    wrk
      ? runWrk(port, urlPath, dir)
      : generateLoad({ port, path: urlPath, body, connections: CONNECTIONS, seconds: SECONDS });
  const procs: ChildProcess[] = [];
  const startServed = async (log: boolean) => {
    const served = await start(
      [serverFile],
      {
        MLWB_MODEL_PATH: model,
        MLWB_MODEL_META: path.join(dir, 'model.json'),
        PORT: '0',
        HOST: '127.0.0.1',
        ...(log ? { MLWB_REQUEST_LOG_DIR: path.join(dir, 'log') } : {}),
      },
      /listening on [^:]+:(\d+)/,
    );
    procs.push(served.proc);
    await waitReady(served.port);
    return served.port;
  };
  try {
    const bare = await start([path.join(here, 'bareServer.mjs'), model, '0'], {}, /listening (\d+)/);
    procs.push(bare.proc);
    const oipPath = '/v2/models/iris/infer';
    const targets = [
      { name: 'bare', port: bare.port, path: '/', runs: [] as LoadResult[] },
      { name: 'log on', port: await startServed(true), path: oipPath, runs: [] as LoadResult[] },
      { name: 'log off', port: await startServed(false), path: oipPath, runs: [] as LoadResult[] },
    ];
    // All servers idle while one is measured; alternating rounds, and the median round of each,
    // so that a burst of other work on a shared machine does not decide the ratio.
    for (const t of targets) await load(t.port, t.path);
    for (let round = 0; round < ROUNDS; round++)
      for (const t of targets) t.runs.push(await load(t.port, t.path));
    const median = (runs: LoadResult[]) =>
      [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
    const [bareT, logOn, logOff] = targets.map((t) => ({ runs: t.runs, median: median(t.runs) }));
    if (!bareT || !logOn || !logOff) throw new Error('unreachable: three targets');
    const fmt = (r: LoadResult) =>
      `${Math.round(r.perSecond).toLocaleString('en')} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`;
    const rounds = (runs: LoadResult[]) => runs.map((r) => Math.round(r.perSecond)).join(' / ');
    const tool = wrk ? 'wrk -t2 -c8' : 'Node keep-alive load generator, 8 connections';
    const served = (label: string, t: { runs: LoadResult[]; median: LoadResult }) => {
      const ratio = t.median.perSecond / bareT.median.perSecond;
      return {
        name: `model server POST ${oipPath}, one-row requests, request log ${label} (rounds: ${rounds(t.runs)})`,
        value: `${fmt(t.median)}; ${ratio.toFixed(2)}× the bare server`,
        target: '≥ 0.8× the bare server',
        pass: ratio >= 0.8 && t.median.errors === 0,
      };
    };
    return [
      {
        name: `bare onnxruntime-node HTTP server, one-row requests (${tool}, median of ${ROUNDS} × ${SECONDS} s; rounds: ${rounds(bareT.runs)})`,
        value: fmt(bareT.median),
        target: 'baseline',
        pass: bareT.median.errors === 0,
      },
      served('off', logOff),
      served('on (as a deployment with a mounted log folder runs)', logOn),
    ];
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/serving/servingBench.ts`: this bench alone.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of await runServingBench())
    process.stdout.write(`${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.value}  (target ${f.target})\n`);
}
