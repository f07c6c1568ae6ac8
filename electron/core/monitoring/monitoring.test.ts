/**
 * Monitoring end to end against real parts: the model server (resources/serving, onnxruntime-node,
 * a real child process) serving the example classifier and writing its request log where a
 * deployment on this machine writes it; SQLite; the drift check on a worker thread with DuckDB
 * reading the window; the training table found through the registered version's lineage. Only the
 * container around the server is left out (the Docker path is in the CLI tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisModel,
  post,
  type RunningServer,
  startServer,
  waitReady,
} from '../../../resources/serving/testServer.ts';
import type { EventOf } from '../../../shared/contract.ts';
import { DRIFT_RULE } from '../../../shared/monitoring.ts';
import { requestLogDir } from '../deploy/deploymentSpec.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { recordDeployment } from '../testing/monitoringFixtures.ts';
import { runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { uploadDir } from '../uploads.ts';

const app = testWorkbench();
const dirs = tempDirs();
const TRAIN = path.resolve('resources/recipes/sklearn-classifier/example-data/train.csv');
const SIGNATURE = fs.readFileSync(path.resolve('electron/core/registry/fixtures/iris-logreg.signature.json'));
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ctx = () => ({ signal: new AbortController().signal, progress: () => {} });

const table = fs
  .readFileSync(TRAIN, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => {
    const v = l.split(',');
    return { x: v.slice(0, 4).map(Number), y: v[4]! };
  });

let server: RunningServer;
/** What the server answered, by request id: the predicted class of each row. */
const answered = new Map<string, string[]>();

async function score(id: string, rows: number[][]): Promise<void> {
  const r = await post(
    `${server.url}/invocations`,
    { dataframe_split: { columns: FEATURES, data: rows } },
    'application/json',
    { 'X-Request-Id': id },
  );
  expect(r.status).toBe(200);
  expect(r.requestId).toBe(id);
  const predictions = r.json.predictions as { label: string }[];
  answered.set(
    id,
    predictions.map((p) => p.label),
  );
}

/** Until the server's batched log has every request sent so far. */
async function logged(n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { requests } = await app.api.call('deployments.requests', { name: 'iris', limit: 1000 });
    if (requests.length >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the log never held ${n} requests`);
}

function labelsFile(rows: { id: string; row: number; label: string }[]): string {
  const f = path.join(dirs.make(), 'labels.csv');
  fs.writeFileSync(
    f,
    `request_id,row,label\n${rows.map((r) => `${r.id},${r.row},"${r.label}"`).join('\n')}\n`,
  );
  return f;
}

beforeAll(async () => {
  const { version, digest } = await app.wb.datasets.add({ name: 'iris', paths: [TRAIN], message: '' }, ctx());
  const run = runWithOutputs(
    app.wb,
    { 'model/model.onnx': fs.readFileSync(irisModel), 'model/signature.json': SIGNATURE },
    { trainedOn: { dataset: 'iris', version, digest } },
  );
  const v = await app.api.call('models.register', { runId: run, name: 'iris' });
  recordDeployment(app.wb, 'iris', 'iris', v.version);
  const meta = (await app.api.call('models.version', { name: 'iris', version: v.version })).version;
  server = await startServer({
    model: irisModel,
    meta,
    env: { MLWB_REQUEST_LOG_DIR: path.join(requestLogDir(app.wb.home, 'iris'), 'g1') },
  });
  await waitReady(server.url);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('monitoring a deployment', () => {
  it('checks a window of traffic: counts, latency, no drift from the training data, rules', async () => {
    // 200 rows of the training distribution in 10 requests, and 2 refused requests.
    for (let i = 0; i < 10; i++)
      await score(
        `a-${i}`,
        table.slice(i * 20, i * 20 + 20).map((r) => r.x),
      );
    for (let i = 0; i < 2; i++) {
      const bad = await post(`${server.url}/invocations`, {
        dataframe_split: { columns: ['x'], data: [[1]] },
      });
      expect(bad.status).toBe(400);
    }
    await logged(12);
    const { monitor } = await app.api.call('monitors.add', {
      deployment: 'iris',
      minRows: 50,
      everySeconds: 0,
      rules: ['error_rate < 0.05', 'accuracy >= 0.8', 'p95_latency_ms < 60000'],
    });
    expect(monitor).toMatchObject({
      name: 'iris-monitor',
      windowSeconds: 3600,
      drift: true,
      reference: null,
    });

    const moved: EventOf<'alerts.moved'>[] = [];
    const off = app.wb.events.subscribe((topic, payload) => {
      if (topic === 'alerts.moved') moved.push(payload as EventOf<'alerts.moved'>);
    });
    const run = await app.api.call('monitors.run', { name: 'iris-monitor' }).finally(off);
    // The alert it fired is announced, for the app to say so wherever the user is.
    expect(moved).toEqual([
      {
        monitor: 'iris-monitor',
        fired: [expect.objectContaining({ rule: 'error_rate < 0.05', state: 'firing', deployment: 'iris' })],
        resolved: [],
      },
    ]);
    expect(run.metrics).toMatchObject({
      requests: 12,
      rows: 200,
      errors: 2,
      labeled_rows: 0,
      accuracy: null,
    });
    expect(run.metrics.error_rate).toBeCloseTo(2 / 12, 10);
    expect(run.metrics.p50_latency_ms).toBeGreaterThan(0);
    expect(run.metrics.p95_latency_ms!).toBeGreaterThanOrEqual(run.metrics.p50_latency_ms!);
    expect(run.versions).toEqual([1]);
    // The training table, found through the version's lineage; the window is a subset of it.
    expect(run.reference).toBe('dataset:iris@1:train.csv');
    expect(run.metrics.drift_share).toBeLessThan(0.5);
    expect(run.datasetDrift).toBe(false);
    expect(run.checks).toEqual([
      expect.objectContaining({ rule: 'error_rate < 0.05', passed: false }),
      expect.objectContaining({
        rule: 'accuracy >= 0.8',
        passed: null,
        note: expect.stringMatching(/labels add/),
      }),
      expect.objectContaining({ rule: 'p95_latency_ms < 60000', passed: true }),
    ]);
    expect(run.status).toBe('alerting');

    const report = await app.api.call('drift.report', { id: run.driftReport! });
    expect(report.current).toMatchObject({ kind: 'deployment', deployment: 'iris', format: 'jsonl' });
    expect(report.report.columns.map((c) => c.column).sort()).toEqual([...FEATURES].sort());
    // Floats stay floats in the window's table, so they are tested as numbers.
    expect(report.report.columns.every((c) => c.type === 'numerical')).toBe(true);
    expect(report.report.current.rows).toBe(200);

    const { alerts } = await app.api.call('alerts.list', { state: 'firing' });
    expect(alerts).toEqual([
      expect.objectContaining({ monitor: 'iris-monitor', rule: 'error_rate < 0.05', state: 'firing' }),
    ]);
    // A check that fails again keeps the one alert.
    await app.api.call('monitors.run', { name: 'iris-monitor' });
    expect((await app.api.call('alerts.list', { state: 'firing' })).alerts).toHaveLength(1);
  });

  it('joins labels by request id: realized accuracy fires an alert, and corrected labels resolve it', async () => {
    const truth = Array.from({ length: 10 }, (_, i) =>
      table.slice(i * 20, i * 20 + 20).map((r, row) => ({ id: `a-${i}`, row, label: r.y })),
    ).flat();
    // First, wrong labels: every row called setosa.
    const wrong = await app.api.call('labels.add', {
      deployment: 'iris',
      path: labelsFile([
        ...truth.map((t) => ({ ...t, label: 'setosa' })),
        { id: 'never-sent', row: 0, label: 'x' },
      ]),
    });
    expect(wrong).toEqual({ read: 201, matched: 200, unmatchedIds: ['never-sent'] });
    const expectedWrong = truth.filter((t) => answered.get(t.id)![t.row] === 'setosa').length / 200;
    const first = await app.api.call('monitors.run', { name: 'iris-monitor' });
    expect(first.metrics.labeled_rows).toBe(200);
    expect(first.metrics.accuracy).toBeCloseTo(expectedWrong, 12);
    expect(first.checks[1]).toMatchObject({ rule: 'accuracy >= 0.8', passed: false });
    const firing = (await app.api.call('alerts.list', { state: 'firing' })).alerts.map((a) => a.rule);
    expect(firing.sort()).toEqual(['accuracy >= 0.8', 'error_rate < 0.05']);

    // The truth replaces them (a later label of a row wins); this time as the app sends a file in
    // browser mode: the one file of an upload session, JSON Lines by its name, the session removed
    // once read.
    const session = 'labels-upload-1';
    const staged = uploadDir(app.wb.home, session);
    fs.mkdirSync(staged, { recursive: true });
    fs.writeFileSync(
      path.join(staged, 'truth.jsonl'),
      truth.map((t) => JSON.stringify({ request_id: t.id, row: t.row, label: t.label })).join('\n'),
    );
    expect(await app.api.call('labels.add', { deployment: 'iris', upload: session })).toEqual({
      read: 200,
      matched: 200,
      unmatchedIds: [],
    });
    expect(fs.existsSync(staged)).toBe(false);
    const expected = truth.filter((t) => answered.get(t.id)![t.row] === t.label).length / 200;
    expect(expected).toBeGreaterThan(0.8);
    const second = await app.api.call('monitors.run', { name: 'iris-monitor' });
    expect(second.metrics.accuracy).toBeCloseTo(expected, 12);
    const all = (await app.api.call('alerts.list', {})).alerts;
    expect(all.find((a) => a.rule === 'accuracy >= 0.8')).toMatchObject({ state: 'resolved' });
    expect(all.find((a) => a.rule === 'accuracy >= 0.8')!.resolvedAt).toBe(second.at);
  });

  it('refuses a labels upload it cannot read, naming the file as the user knows it', async () => {
    await expectErrorCode(
      app.api.call('labels.add', { deployment: 'iris', upload: 'labels-gone-1' }),
      'NOT_FOUND',
    );
    const staged = uploadDir(app.wb.home, 'labels-bad-1');
    fs.mkdirSync(staged, { recursive: true });
    fs.writeFileSync(path.join(staged, 'mine.csv'), 'id_of_request,truth\nx,1\n');
    await expect(app.api.call('labels.add', { deployment: 'iris', upload: 'labels-bad-1' })).rejects.toThrow(
      /^mine\.csv needs a header with request_id and label columns/,
    );
    expect(fs.existsSync(staged)).toBe(false);
    const two = uploadDir(app.wb.home, 'labels-two-1');
    fs.mkdirSync(two, { recursive: true });
    for (const f of ['a.csv', 'b.csv']) fs.writeFileSync(path.join(two, f), 'request_id,label\nx,1\n');
    await expect(app.api.call('labels.add', { deployment: 'iris', upload: 'labels-two-1' })).rejects.toThrow(
      /Drop one file as a labels file \(got 2\)/,
    );
    for (const both of [{ path: '/x.csv', upload: 'labels-two-1' }, {}])
      await expect(app.api.call('labels.add', { deployment: 'iris', ...both })).rejects.toThrow(
        /Give the labels as a file path or as an upload, one of the two/,
      );
  });

  it('fires a drift alert when the traffic moves away from the training data', async () => {
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    // Larger petals and sepals than anything the model was trained on.
    for (let i = 0; i < 15; i++)
      await score(
        `b-${i}`,
        table.slice(i * 20, i * 20 + 20).map((r) => [r.x[0]! + 3, r.x[1]!, r.x[2]! + 3, r.x[3]! + 1.5]),
      );
    await logged(27);
    const run = await app.api.call('monitors.run', { name: 'iris-monitor' });
    expect(run.metrics.drifted_columns).toBe(3);
    expect(run.metrics.drift_share).toBe(0.75);
    expect(run.datasetDrift).toBe(true);
    expect(run.status).toBe('alerting');
    const drift = (await app.api.call('alerts.list', { state: 'firing' })).alerts.find(
      (a) => a.rule === DRIFT_RULE,
    );
    expect(drift?.message).toMatch(/3 of 4 features drifted \(75%.*dataset:iris@1:train\.csv/);

    // The same rows through drift's own source: the deployment's traffic since then.
    const check = await app.api.call('drift.check', {
      reference: 'dataset:iris@1:train.csv',
      current: `deployment:iris:${since}`,
      save: false,
    });
    expect(check.report.current.rows).toBe(300);
    expect(check.datasetDrift).toBe(true);
    expect(check.report.columns.map((c) => c.column).sort()).toEqual([...FEATURES].sort());
  });

  it('lists monitors with their last check, and says what it cannot do', async () => {
    const { monitors } = await app.api.call('monitors.list', {});
    expect(monitors).toEqual([
      expect.objectContaining({ name: 'iris-monitor', firing: 2, lastRun: expect.anything() }),
    ]);
    const got = await app.api.call('monitors.get', { name: 'iris-monitor' });
    expect(got.runs.length).toBe(5);
    expect(got.runs[0]!.at).toBeGreaterThanOrEqual(got.runs[1]!.at);

    await expectErrorCode(
      app.api.call('monitors.add', { deployment: 'iris', rules: ['accuracy > high'] }),
      'INVALID_INPUT',
      /not a rule/,
    );
    await expectErrorCode(
      app.api.call('monitors.add', { deployment: 'iris', rules: ['f1 > 0.5'] }),
      'INVALID_INPUT',
      /no metric f1/,
    );
    await expectErrorCode(
      app.api.call('monitors.add', { deployment: 'nope' }),
      'NOT_FOUND',
      /No deployment named nope/,
    );
    await expectErrorCode(app.api.call('monitors.add', { deployment: 'iris' }), 'CONFLICT', /exists already/);
    await expectErrorCode(
      app.api.call('monitors.add', { deployment: 'iris', name: 'pct', rules: ['accuracy >= 90'] }),
      'INVALID_INPUT',
      /accuracy is a share from 0 to 1 \(0\.05 for 5%\)/,
    );
    await expectErrorCode(
      app.api.call('monitors.add', {
        deployment: 'iris',
        name: 'nodrift',
        drift: false,
        rules: ['drift_share < 0.3'],
      }),
      'INVALID_INPUT',
      /needs drift tested/,
    );
    const { monitor: once } = await app.api.call('monitors.add', {
      deployment: 'iris',
      name: 'once',
      everySeconds: 0,
      rules: ['error_rate<0.05', 'error_rate < 0.050'],
    });
    expect(once.rules.map((r) => r.text)).toEqual(['error_rate < 0.05']);
    await app.api.call('monitors.remove', { name: 'once' });
    await expectErrorCode(
      app.api.call('drift.check', { reference: TRAIN, current: 'deployment:iris:yesterday' }),
      'INVALID_INPUT',
      /neither a time/,
    );

    // A monitor whose deployment is gone records a failed check that says what to do.
    await app.api.call('monitors.add', { deployment: 'iris', name: 'orphan', everySeconds: 0 });
    app.wb.db.prepare("UPDATE monitors SET deployment = 'gone' WHERE name = 'orphan'").run();
    const failed = await app.api.call('monitors.run', { name: 'orphan' });
    expect(failed).toMatchObject({
      status: 'failed',
      note: expect.stringMatching(/gone no longer exists.*monitors remove orphan/),
    });

    expect(await app.api.call('monitors.remove', { name: 'orphan' })).toEqual({ removed: true });
    expect(await app.api.call('monitors.remove', { name: 'orphan' })).toEqual({ removed: false });
  });

  it('scores a request id used twice once, by its latest request', async () => {
    const before = (await app.api.call('monitors.run', { name: 'iris-monitor' })).metrics.labeled_rows!;
    await score('dup', [table[0]!.x]);
    await score('dup', [table[120]!.x]);
    await logged(29);
    await app.api.call('labels.add', {
      deployment: 'iris',
      path: labelsFile([{ id: 'dup', row: 0, label: table[120]!.y }]),
    });
    const after = await app.api.call('monitors.run', { name: 'iris-monitor' });
    expect(after.metrics.labeled_rows).toBe(before + 1);
  });

  it('leaves no window table behind when the reference cannot be read', async () => {
    await expectErrorCode(
      app.api.call('drift.check', { reference: '/no/such/reference.csv', current: 'deployment:iris' }),
      'NOT_FOUND',
      /no reference file/,
    );
    expect(fs.readdirSync(path.join(app.wb.home, 'tmp')).filter((n) => n.startsWith('window-'))).toEqual([]);
    // One a killed process left goes with gc; one a live process is writing stays.
    const tmp = path.join(app.wb.home, 'tmp');
    for (const name of ['window-2147483646-gone', `window-${process.pid}-live`]) {
      fs.mkdirSync(path.join(tmp, name));
      fs.writeFileSync(path.join(tmp, name, 'requests.jsonl'), '{}\n');
    }
    await app.api.call('store.gc', {});
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('window-'))).toEqual([
      `window-${process.pid}-live`,
    ]);
    fs.rmSync(path.join(tmp, `window-${process.pid}-live`), { recursive: true });
  });

  it('is checked by the app on its schedule, once per period, and announced', async () => {
    await app.api.call('monitors.add', {
      deployment: 'iris',
      name: 'scheduled',
      everySeconds: 60,
      minRows: 50,
    });
    // Made a minute ago: due now.
    app.wb.db.prepare("UPDATE monitors SET created_at = created_at - 61000 WHERE name = 'scheduled'").run();
    const changed: string[] = [];
    const unsubscribe = app.wb.events.subscribe((topic, payload) => {
      if (topic === 'changed') changed.push(...(payload as { entities: string[] }).entities);
    });
    const stop = app.wb.monitoring.schedule(app.wb.ops, app.wb.events, 20);
    try {
      await expect
        .poll(async () => (await app.api.call('monitors.get', { name: 'scheduled' })).runs.length, {
          timeout: 20_000,
        })
        .toBe(1);
      await expect.poll(() => changed.includes('monitor:scheduled')).toBe(true);
      // Ticks go on; it is not due again for a minute.
      await new Promise((r) => setTimeout(r, 300));
      expect((await app.api.call('monitors.get', { name: 'scheduled' })).runs).toHaveLength(1);
      // The other monitors are checked by hand only (everySeconds 0).
      expect((await app.api.call('monitors.get', { name: 'iris-monitor' })).runs).toHaveLength(7);
    } finally {
      stop();
      unsubscribe();
    }
  });
});
