/**
 * Monitoring a busy deployment: an hour of traffic at 55 requests a second (200,000 one-row
 * requests of the example classifier, 66 MB of request log in five rotated files, as the model
 * server writes them), with ground truth for 10,000 of them. Printed, each beside its target:
 *   - taking the whole log into the store, in process, against the floor of reading the same files
 *     and parsing each line in bare node (what any reader must do), measured in the same run;
 *   - taking 1,000 more lines in (what each check reads when the app checks every few minutes);
 *   - one check of the hour: traffic figures, realized accuracy, the 200,000 rows tested for drift
 *     against the training table, the rules;
 *   - the same check as a whole `mlwb monitors run` process;
 *   - the same log read through a remote engine, over TLS and ssh (remoteLogBench.ts).
 * Targets are the project's own (no issue sets them yet): ingest ≥ 50,000 requests/s and within
 * 4× the parse floor; 1,000 more lines < 100 ms; the check < 5 s in process and as a process.
 * Run: npm run bench -- monitoring
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApi } from '../../electron/core/api.ts';
import { requestLogDir } from '../../electron/core/deploy/deploymentSpec.ts';
import { recordDeployment } from '../../electron/core/testing/monitoringFixtures.ts';
import { runWithOutputs } from '../../electron/core/testing/runFixtures.ts';
import { openWorkbench } from '../../electron/core/workbench.ts';
import { irisModel } from '../../resources/serving/testServer.ts';
import type { Figure } from '../datasets/datasetBench.ts';
import { median, runWhenMain, seededRandom } from '../standalone.ts';
import { remoteLogFigures } from './remoteLogBench.ts';

const REQUESTS = 200_000;
const LABELED = 10_000;
const FILE_BYTES = 16 * 1024 * 1024;
const TRAIN = path.resolve('resources/recipes/sklearn-classifier/example-data/train.csv');
const SIGNATURE = path.resolve('electron/core/registry/fixtures/iris-logreg.signature.json');
const BIN = path.resolve('bin/mlwb.js');
const CLASSES = ['setosa', 'versicolor', 'virginica'];

const log = (s: string) => process.stderr.write(`${s}\n`);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** One request's line, shaped as resources/serving/logLine.ts writes it. */
function line(i: number, at: number, rand: () => number): string {
  const f = [4.3 + rand() * 3.6, 2 + rand() * 2.4, 1 + rand() * 5.9, 0.1 + rand() * 2.4].map(
    (x) => Math.round(x * 100) / 100,
  );
  const p = [rand(), rand(), rand()];
  const sum = p[0]! + p[1]! + p[2]!;
  const probs = p.map((x) => x / sum);
  return `{"id":"req-${i}","time":"${new Date(at).toISOString()}","model":"iris","version":1,"endpoint":"invocations","features":{"sepal_length":[${f[0]}],"sepal_width":[${f[1]}],"petal_length":[${f[2]}],"petal_width":[${f[3]}]},"outputs":{"probabilities":[[${probs.join(',')}]],"label":[${probs.indexOf(Math.max(...probs))}]},"latencyMs":${(0.4 + rand() * 3).toFixed(3)},"status":200}\n`;
}

/** Writes the hour's log as the server rotates it: requests.jsonl newest, requests.4.jsonl oldest. */
function writeLog(dir: string, from: number, to: number, start: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const rand = seededRandom(7);
  const files: string[] = [];
  let chunk = '';
  for (let i = from; i < to; i++) {
    chunk += line(i, start + (i * 3400_000) / REQUESTS, rand);
    if (chunk.length >= FILE_BYTES) {
      files.push(chunk);
      chunk = '';
    }
  }
  if (chunk) files.push(chunk);
  files.reverse().forEach((text, k) => {
    fs.writeFileSync(path.join(dir, k === 0 ? 'requests.jsonl' : `requests.${k}.jsonl`), text);
  });
}

/** The floor: read every log file and parse every line, in this process. */
function parseFloor(dir: string): number {
  const t = process.hrtime.bigint();
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const l of text.split('\n')) if (l) n += JSON.parse(l) ? 1 : 0;
  }
  if (n !== REQUESTS) throw new Error(`parsed ${n} lines`);
  return ms(t);
}

export async function runMonitoringBench(): Promise<Figure[]> {
  const base = process.env.MLWB_BENCH_DIR ?? os.tmpdir();
  const home = fs.mkdtempSync(path.join(base, 'mlwb-monitor-bench-'));
  try {
    const wb = await openWorkbench(home, { mode: 'cli' });
    const api = createApi(wb);
    const ctx = { signal: new AbortController().signal, progress: () => {} };
    const { version, digest } = await wb.datasets.add({ name: 'iris', paths: [TRAIN], message: '' }, ctx);
    const run = runWithOutputs(
      wb,
      { 'model/model.onnx': fs.readFileSync(irisModel), 'model/signature.json': fs.readFileSync(SIGNATURE) },
      { trainedOn: { dataset: 'iris', version, digest } },
    );
    await api.call('models.register', { runId: run, name: 'iris' });
    recordDeployment(wb, 'iris');
    const dir = path.join(requestLogDir(home, 'iris'), 'g1');
    const start = Date.now() - 3600_000 + 120_000;
    log(`writing ${REQUESTS.toLocaleString('en')} requests' log…`);
    writeLog(dir, 0, REQUESTS, start);
    const logMB = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) / 1e6;
    parseFloor(dir); // warm the page cache for both
    const floor = Math.min(parseFloor(dir), parseFloor(dir));

    log('ingesting…');
    let t = process.hrtime.bigint();
    await api.call('deployments.requests', { name: 'iris', limit: 1 });
    const ingestMs = ms(t);
    const rate = REQUESTS / (ingestMs / 1000);

    // 1,000 more requests, appended as the server would.
    const rand = seededRandom(99);
    let more = '';
    for (let i = REQUESTS; i < REQUESTS + 1000; i++) more += line(i, Date.now() - 1000, rand);
    // The hour's log as it stood, for the remote engines' figures below.
    const hour = path.join(home, 'hour', 'g1');
    fs.cpSync(dir, hour, { recursive: true });
    fs.appendFileSync(path.join(dir, 'requests.jsonl'), more);
    t = process.hrtime.bigint();
    await api.call('deployments.requests', { name: 'iris', limit: 1 });
    const moreMs = ms(t);

    const labels = path.join(home, 'labels.csv');
    fs.writeFileSync(
      labels,
      `request_id,label\n${Array.from({ length: LABELED }, (_, i) => `req-${i * 20},${CLASSES[i % 3]}`).join('\n')}\n`,
    );
    await api.call('labels.add', { deployment: 'iris', path: labels });
    await api.call('monitors.add', {
      deployment: 'iris',
      everySeconds: 0,
      rules: ['error_rate < 0.05', 'p95_latency_ms < 100', 'accuracy >= 0.5'],
    });
    const checks: number[] = [];
    let rows = 0;
    for (let k = 0; k < 3; k++) {
      t = process.hrtime.bigint();
      const r = await api.call('monitors.run', { name: 'iris-monitor' });
      checks.push(ms(t));
      rows = r.metrics.rows ?? 0;
      if (r.status === 'failed') throw new Error(`the check failed: ${r.note}`);
      if (r.metrics.labeled_rows !== LABELED) throw new Error(`labeled ${r.metrics.labeled_rows}`);
    }
    await wb.close();
    const check = median(checks);

    const procs: number[] = [];
    for (let k = 0; k < 3; k++) {
      t = process.hrtime.bigint();
      try {
        execFileSync(process.execPath, [BIN, '--home', home, 'monitors', 'run', 'iris-monitor', '--json'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (err) {
        // Exit 3 (an alert fired) is a finished check.
        if ((err as { status?: number }).status !== 3) throw err;
      }
      procs.push(ms(t));
    }
    const proc = median(procs);
    const remote = await remoteLogFigures(hour, REQUESTS, more, ingestMs);

    return [
      {
        name: `request log into the store: ${REQUESTS.toLocaleString('en')} requests (${logMB.toFixed(0)} MB, 5 files), in process`,
        value: `${(ingestMs / 1000).toFixed(2)} s, ${Math.round(rate).toLocaleString('en')} requests/s; reading and parsing the lines alone ${(floor / 1000).toFixed(2)} s: ${(ingestMs / floor).toFixed(1)}× that floor`,
        target: '≥ 50,000 requests/s and ≤ 4× the floor',
        pass: rate >= 50_000 && ingestMs <= 4 * floor,
      },
      {
        name: '1,000 more requests into the store',
        value: `${moreMs.toFixed(0)} ms`,
        target: '< 100 ms',
        pass: moreMs < 100,
      },
      {
        name: `a check of the hour: ${rows.toLocaleString('en')} rows tested for drift against the training table, ${LABELED.toLocaleString('en')} labeled, 3 rules, in process (median of 3)`,
        value: `${(check / 1000).toFixed(2)} s (${checks.map((c) => (c / 1000).toFixed(2)).join(', ')})`,
        target: '< 5 s',
        pass: check < 5000,
      },
      {
        name: 'the same check as a whole `mlwb monitors run --json` process (median of 3)',
        value: `${(proc / 1000).toFixed(2)} s`,
        target: '< 5 s',
        pass: proc < 5000,
      },
      ...remote,
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, runMonitoringBench);
