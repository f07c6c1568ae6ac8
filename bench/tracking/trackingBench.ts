/**
 * Tracking benchmarks of issue 3, each printed with its target:
 *   1. metric ingestion through the MLflow API's runs/log-batch over HTTP, batches of 1000 points
 *      (≥ 50,000 points/s), one client sending batch after batch as an MLflow script does;
 *   2. runs/search with a filter and a metric order over 10,000 runs × 20 params × 10 metrics
 *      (p50 < 100 ms), in-process through TrackingRepo.search and over HTTP with max_results 1000.
 * Run: node --import tsx bench/tracking/trackingBench.ts   (scratch goes to $MLWB_BENCH_DIR or the OS temp folder)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '../../electron/core/api.ts';
import { writeTransaction } from '../../electron/core/store/database.ts';
import { openWorkbench, type Workbench } from '../../electron/core/workbench.ts';
import { startServer } from '../../electron/server/server.ts';
import type { Figure } from '../datasets/datasetBench.ts';

const RUNS = 10_000;
const PARAMS = 20;
const METRICS = 10;
const QUERIES = 30;
const FILTER = "metrics.m3 > 0.5 and params.p7 = 'v3'";
const ORDER = ['metrics.m1 DESC'];

const log = (s: string) => process.stderr.write(`${s}\n`);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A deterministic generator, so every run of the benchmark searches the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function seedRuns(wb: Workbench, experimentId: string): void {
  const rand = rng(42);
  const t0 = 1_700_000_000_000;
  for (let start = 0; start < RUNS; start += 1000) {
    writeTransaction(wb.db, () => {
      for (let i = start; i < Math.min(RUNS, start + 1000); i++) {
        const params: Record<string, string> = {};
        for (let p = 0; p < PARAMS; p++) params[`p${p}`] = `v${Math.floor(rand() * 10)}`;
        const id = wb.tracking.createRun({
          experimentId,
          name: `run-${i}`,
          status: 'FINISHED',
          startTime: t0 + i,
          params,
          tags: { 'mlflow.runName': `run-${i}` },
        });
        wb.tracking.logMetrics(
          id,
          Array.from({ length: METRICS }, (_, m) => ({
            key: `m${m}`,
            value: rand(),
            step: 0,
            timestamp: t0 + i,
          })),
        );
      }
    });
  }
}

function timings(samples: number[], name: string, targetMs: number): Figure[] {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = quantile(sorted, 0.5);
  const p95 = quantile(sorted, 0.95);
  return [
    {
      name: `${name} p50`,
      value: `${p50.toFixed(1)} ms (load average ${os.loadavg()[0]!.toFixed(1)})`,
      target: `< ${targetMs} ms`,
      pass: p50 < targetMs,
    },
    { name: `${name} p95`, value: `${p95.toFixed(1)} ms`, target: 'reported', pass: true },
  ];
}

export async function runTrackingBench(): Promise<Figure[]> {
  const scratch = fs.mkdtempSync(
    path.join(process.env.MLWB_BENCH_DIR ?? os.tmpdir(), 'mlwb-bench-tracking-'),
  );
  const wb = await openWorkbench(path.join(scratch, 'home'), { mode: 'browser' });
  // Seeded before the server starts: the seeding blocks the event loop for seconds, which would
  // otherwise outlive the keep-alive of the client's pooled connection.
  const experimentId = wb.tracking.createExperiment('search-bench');
  log(`seeding ${RUNS} runs × ${PARAMS} params × ${METRICS} metrics…`);
  const seedStart = performance.now();
  seedRuns(wb, experimentId);
  log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const server = await startServer(wb, createApi(wb), { port: 0, rendererDir: scratch });
  const base = `http://127.0.0.1:${server.port}/api/2.0/mlflow`;
  const headers = { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' };
  const call = async (endpoint: string, body: unknown) => {
    const r = await fetch(`${base}/${endpoint}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await r.json()) as Record<string, unknown>;
    if (r.status !== 200) throw new Error(`${endpoint}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const figures: Figure[] = [];
  try {
    // 1. Ingestion (into a store that already holds the 10,000 runs): 10 series, steps advancing,
    // as a training loop logs them.
    const run = (await call('runs/create', { experiment_id: '0', run_name: 'ingest' })) as {
      run: { info: { run_id: string } };
    };
    const runId = run.run.info.run_id;
    const batches = 300;
    const bodies = Array.from({ length: batches }, (_, b) =>
      JSON.stringify({
        run_id: runId,
        metrics: Array.from({ length: 1000 }, (_, i) => ({
          key: `loss_${i % 10}`,
          value: Math.random(),
          timestamp: Date.now(),
          step: b * 100 + Math.floor(i / 10),
        })),
      }),
    );
    for (const body of bodies.slice(0, 10))
      await fetch(`${base}/runs/log-batch`, { method: 'POST', headers, body });
    const t = performance.now();
    for (const body of bodies) {
      const r = await fetch(`${base}/runs/log-batch`, { method: 'POST', headers, body });
      if (r.status !== 200) throw new Error(`log-batch: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
    const seconds = (performance.now() - t) / 1000;
    const rate = (batches * 1000) / seconds;
    log(`log-batch: ${batches} × 1000 points in ${seconds.toFixed(2)} s`);
    figures.push({
      name: 'MLflow log-batch ingestion over HTTP (1000-point batches)',
      value: `${Math.round(rate).toLocaleString('en-US')} points/s (load average ${os.loadavg()[0]!.toFixed(1)})`,
      target: '≥ 50,000 points/s',
      pass: rate >= 50_000,
    });

    // 2. Search over 10,000 runs × 20 params × 10 metrics (seeded above).
    const query = { experimentIds: [experimentId], filter: FILTER, orderBy: ORDER, maxResults: 1000 };
    const matches = wb.tracking.search(query).runs.length;
    log(`the filter matches ${matches} runs`);

    const inProcess: number[] = [];
    for (let i = 0; i < QUERIES + 3; i++) {
      const t1 = performance.now();
      wb.tracking.search(query);
      if (i >= 3) inProcess.push(performance.now() - t1);
    }
    figures.push(...timings(inProcess, `runs search in-process (${matches} of ${RUNS} runs match)`, 100));

    const overHttp: number[] = [];
    const body = { experiment_ids: [experimentId], filter: FILTER, order_by: ORDER, max_results: 1000 };
    for (let i = 0; i < QUERIES + 3; i++) {
      const t1 = performance.now();
      const r = await call('runs/search', body);
      if (i >= 3) overHttp.push(performance.now() - t1);
      if ((r.runs as unknown[]).length !== matches) throw new Error('HTTP search returned a different count');
    }
    figures.push(...timings(overHttp, 'runs/search over HTTP, max_results 1000', 100));
  } finally {
    await server.close();
    await wb.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of await runTrackingBench()) {
    process.stdout.write(`${f.pass ? 'PASS' : 'MISS'}  ${f.name}: ${f.value}  (target ${f.target})\n`);
  }
}
