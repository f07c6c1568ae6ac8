/**
 * Contract tests of the MLflow REST subset against the real browser-mode server: MLflow's field
 * names and shapes, its limits and its error codes, as an MLflow client would see them.
 */
import { describe, expect, it } from 'vitest';
import { entitiesRead } from '../../../shared/contract.ts';
import { testServer } from '../testing/testServer.ts';

const app = testServer();
const mlflow = (path: string) => `${app.base}/api/2.0/mlflow/${path}`;

// biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field.
type Json = any;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(mlflow(path), {
    method: 'POST',
    headers: { ...app.auth(), 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

async function get(path: string, query: Record<string, string | number>) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const r = await fetch(`${mlflow(path)}?${qs}`, { headers: app.auth() });
  return { status: r.status, body: (await r.json()) as Json };
}

async function newRun(experimentId = '0', extra: Record<string, unknown> = {}): Promise<string> {
  const r = await post('runs/create', { experiment_id: experimentId, start_time: 1000, ...extra });
  expect(r.status).toBe(200);
  return r.body.run.info.run_id;
}

const metric = (key: string, value: unknown, step = 0) => ({
  key,
  value,
  timestamp: 1_700_000_000_000 + step,
  step,
});

describe('MLflow REST subset: experiments', () => {
  it('creates, gets by id and by name, in MLflow field names', async () => {
    const created = await post('experiments/create', {
      name: 'fraud',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(created).toEqual({ status: 200, body: { experiment_id: expect.any(String) } });
    const id = created.body.experiment_id;
    const byId = await get('experiments/get', { experiment_id: id });
    expect(byId.status).toBe(200);
    expect(byId.body.experiment).toEqual({
      experiment_id: id,
      name: 'fraud',
      artifact_location: expect.any(String),
      lifecycle_stage: 'active',
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
      tags: [{ key: 'team', value: 'risk' }],
    });
    const byName = await get('experiments/get-by-name', { experiment_name: 'fraud' });
    expect(byName.body).toEqual(byId.body);
    // As MLflow, get-style endpoints also take POST with a JSON body.
    expect((await post('experiments/get', { experiment_id: id })).body).toEqual(byId.body);
  });

  it('refuses a duplicate name with RESOURCE_ALREADY_EXISTS and unknown ones with RESOURCE_DOES_NOT_EXIST', async () => {
    await post('experiments/create', { name: 'dup' });
    const again = await post('experiments/create', { name: 'dup' });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    for (const r of [
      await get('experiments/get', { experiment_id: '424242' }),
      await get('experiments/get-by-name', { experiment_name: 'nope' }),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) });
    }
  });

  it('searches by name with paging', async () => {
    for (const n of ['search-a', 'search-b', 'search-c']) await post('experiments/create', { name: n });
    const names: string[] = [];
    let token: string | undefined;
    do {
      const r = await post('experiments/search', {
        filter: "name LIKE 'search-%'",
        order_by: ['name DESC'],
        max_results: 2,
        ...(token ? { page_token: token } : {}),
      });
      expect(r.status).toBe(200);
      names.push(...r.body.experiments.map((e: Json) => e.name));
      token = r.body.next_page_token;
    } while (token);
    expect(names).toEqual(['search-c', 'search-b', 'search-a']);
    const all = await get('experiments/search', { max_results: 1000 });
    expect(all.body.experiments.map((e: Json) => e.name)).toContain('Default');
  });
});

describe('MLflow REST subset: runs', () => {
  it('creates, gets and updates a run in MLflow shapes and statuses', async () => {
    const created = await post('runs/create', {
      experiment_id: '0',
      run_name: 'first',
      start_time: 1234,
      user_id: 'ada',
      tags: [{ key: 'stage', value: 'dev' }],
    });
    expect(created.status).toBe(200);
    const run = created.body.run;
    expect(run.info).toEqual({
      run_id: expect.any(String),
      run_uuid: run.info.run_id,
      run_name: 'first',
      experiment_id: '0',
      user_id: 'ada',
      status: 'RUNNING',
      start_time: 1234,
      artifact_uri: `mlwb-artifacts:/0/${run.info.run_id}/artifacts`,
      lifecycle_stage: 'active',
    });
    expect(run.data.metrics).toEqual([]);
    expect(run.data.params).toEqual([]);
    expect(run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'stage', value: 'dev' },
        { key: 'mlflow.runName', value: 'first' },
      ]),
    );
    expect(run.inputs).toEqual({});

    const updated = await post('runs/update', {
      run_id: run.info.run_id,
      status: 'FINISHED',
      end_time: 5678,
      run_name: 'renamed',
    });
    expect(updated.status).toBe(200);
    expect(updated.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 5678, run_name: 'renamed' });
    const got = await get('runs/get', { run_id: run.info.run_id });
    expect(got.body.run.info).toMatchObject({ status: 'FINISHED', end_time: 5678, run_name: 'renamed' });
  });

  it('maps QUEUED and LOST to SCHEDULED and FAILED, and SCHEDULED back to QUEUED', async () => {
    const queued = app.wb.tracking.createRun({ experimentId: '0', status: 'QUEUED' });
    expect((await get('runs/get', { run_id: queued })).body.run.info.status).toBe('SCHEDULED');
    const lost = app.wb.tracking.createRun({ experimentId: '0', status: 'LOST' });
    expect((await get('runs/get', { run_id: lost })).body.run.info.status).toBe('FAILED');
    const id = await newRun();
    expect((await post('runs/update', { run_id: id, status: 'SCHEDULED' })).status).toBe(200);
    expect(app.wb.tracking.run(id).status).toBe('QUEUED');
    expect((await post('runs/update', { run_id: id, status: 'DONE' })).status).toBe(400);
  });

  it('logs metrics, params and tags one at a time, and shows the latest metric with step and timestamp', async () => {
    const id = await newRun();
    expect(await post('runs/log-metric', { run_id: id, ...metric('loss', 0.9, 0) })).toEqual({
      status: 200,
      body: {},
    });
    expect((await post('runs/log-metric', { run_id: id, ...metric('loss', 0.5, 1) })).status).toBe(200);
    // Old clients say run_uuid; protobuf JSON may send int64 as strings.
    expect(
      (await post('runs/log-metric', { run_uuid: id, key: 'acc', value: '0.75', timestamp: '17', step: '3' }))
        .status,
    ).toBe(200);
    expect((await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.01' })).status).toBe(200);
    expect((await post('runs/set-tag', { run_id: id, key: 'note', value: 'a' })).status).toBe(200);
    expect((await post('runs/set-tag', { run_id: id, key: 'note', value: 'b' })).status).toBe(200);
    const data = (await get('runs/get', { run_id: id })).body.run.data;
    expect(data.metrics).toEqual([
      { key: 'acc', value: 0.75, timestamp: 17, step: 3 },
      { key: 'loss', value: 0.5, timestamp: 1_700_000_000_001, step: 1 },
    ]);
    expect(data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(data.tags).toContainEqual({ key: 'note', value: 'b' });
  });

  it('logs a batch, including NaN and Infinity spelled as strings or as bare Python tokens', async () => {
    const id = await newRun();
    const batch = await post('runs/log-batch', {
      run_id: id,
      metrics: [metric('m', 3, 2), metric('m', 1, 0), metric('m', 'NaN', 1), metric('inf', '-Infinity')],
      params: [{ key: 'p', value: 'x' }],
      tags: [{ key: 't', value: 'y' }],
    });
    expect(batch).toEqual({ status: 200, body: {} });
    // Python's json.dumps writes NaN and Infinity as bare tokens.
    const raw = `{"run_id": "${id}", "metrics": [{"key": "raw", "value": NaN, "timestamp": 1, "step": 0},
      {"key": "raw", "value": Infinity, "timestamp": 2, "step": 1}, {"key": "NaN label", "value": -Infinity, "timestamp": 3, "step": 0}]}`;
    expect((await post('runs/log-batch', raw)).status).toBe(200);

    const history = await get('metrics/get-history', { run_id: id, metric_key: 'm' });
    expect(history.status).toBe(200);
    expect(history.body.metrics).toEqual([
      { key: 'm', value: 1, timestamp: 1_700_000_000_000, step: 0 },
      { key: 'm', value: 'NaN', timestamp: 1_700_000_000_001, step: 1 },
      { key: 'm', value: 3, timestamp: 1_700_000_000_002, step: 2 },
    ]);
    const rawHistory = await get('metrics/get-history', { run_id: id, metric_key: 'raw' });
    expect(rawHistory.body.metrics.map((m: Json) => m.value)).toEqual(['NaN', 'Infinity']);
    const data = (await get('runs/get', { run_id: id })).body.run.data;
    expect(data.metrics).toContainEqual({
      key: 'inf',
      value: '-Infinity',
      timestamp: 1_700_000_000_000,
      step: 0,
    });
    // The latest point is the highest step, whatever order the batch came in.
    expect(data.metrics).toContainEqual({ key: 'm', value: 3, timestamp: 1_700_000_000_002, step: 2 });
    expect(data.params).toEqual([{ key: 'p', value: 'x' }]);
  });

  it('pages a metric history in step order', async () => {
    const id = await newRun();
    const points = Array.from({ length: 25 }, (_, i) => metric('s', i * 2, 24 - i));
    expect((await post('runs/log-batch', { run_id: id, metrics: points })).status).toBe(200);
    const steps: number[] = [];
    let token: string | undefined;
    do {
      const r = await get('metrics/get-history', {
        run_id: id,
        metric_key: 's',
        max_results: 10,
        ...(token ? { page_token: token } : {}),
      });
      expect(r.body.metrics.length).toBeLessThanOrEqual(10);
      steps.push(...r.body.metrics.map((m: Json) => m.step));
      token = r.body.next_page_token;
    } while (token);
    expect(steps).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });
});

describe('MLflow REST subset: limits and errors', () => {
  const expectInvalid = (r: { status: number; body: Json }) => {
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(r.body.message).toEqual(expect.any(String));
  };

  it("enforces log-batch's counts before writing anything", async () => {
    const id = await newRun();
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => metric('c', i, i));
    const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    expectInvalid(await post('runs/log-batch', { run_id: id, metrics: metrics(1001) }));
    expectInvalid(await post('runs/log-batch', { run_id: id, params: params(101) }));
    expectInvalid(await post('runs/log-batch', { run_id: id, tags: params(101) }));
    expectInvalid(await post('runs/log-batch', { run_id: id, metrics: metrics(1000), params: params(1) }));
    expect(app.wb.tracking.metricKeys(id)).toEqual([]);
    expect((await post('runs/log-batch', { run_id: id, metrics: metrics(1000) })).status).toBe(200);
    expect(
      (await post('runs/log-batch', { run_id: id, params: params(100), tags: params(100) })).status,
    ).toBe(200);
  });

  it('limits keys to 250 characters, param values to 6000 and tag values to 8000', async () => {
    const id = await newRun();
    const key = (n: number) => 'k'.repeat(n);
    expectInvalid(await post('runs/log-metric', { run_id: id, ...metric(key(251), 1) }));
    expectInvalid(await post('runs/log-parameter', { run_id: id, key: key(251), value: 'v' }));
    expectInvalid(await post('runs/set-tag', { run_id: id, key: key(251), value: 'v' }));
    expectInvalid(await post('runs/log-batch', { run_id: id, metrics: [metric(key(251), 1)] }));
    expect((await post('runs/log-metric', { run_id: id, ...metric(key(250), 1) })).status).toBe(200);
    expectInvalid(await post('runs/log-parameter', { run_id: id, key: 'big', value: 'v'.repeat(6001) }));
    expectInvalid(
      await post('runs/log-batch', { run_id: id, params: [{ key: 'big', value: 'v'.repeat(6001) }] }),
    );
    expect(
      (await post('runs/log-parameter', { run_id: id, key: 'big', value: 'v'.repeat(6000) })).status,
    ).toBe(200);
    expectInvalid(await post('runs/set-tag', { run_id: id, key: 'big', value: 't'.repeat(8001) }));
    expect((await post('runs/set-tag', { run_id: id, key: 'big', value: 't'.repeat(8000) })).status).toBe(
      200,
    );
    expectInvalid(await post('runs/log-metric', { run_id: id, ...metric('../escape', 1) }));
    expectInvalid(await post('runs/log-metric', { run_id: id, ...metric('bad*char', 1) }));
  });

  it('keeps params write-once: the same value again is fine, another is refused, and a refused batch writes nothing', async () => {
    const id = await newRun();
    expect((await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' })).status).toBe(200);
    expect((await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' })).status).toBe(200);
    const changed = await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.2' });
    expectInvalid(changed);
    expect(changed.body.message).toMatch(/Changing param values is not allowed/);
    expectInvalid(
      await post('runs/log-batch', {
        run_id: id,
        metrics: [metric('after', 1)],
        params: [{ key: 'lr', value: '0.3' }],
        tags: [{ key: 'after', value: 'x' }],
      }),
    );
    const data = (await get('runs/get', { run_id: id })).body.run.data;
    expect(data.metrics).toEqual([]);
    expect(data.tags.map((t: Json) => t.key)).not.toContain('after');
    expect(data.params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  it('answers unknown run ids with 404 RESOURCE_DOES_NOT_EXIST on every run endpoint', async () => {
    const run_id = '01NOSUCHRUN0000000000000000';
    for (const r of [
      await get('runs/get', { run_id }),
      await post('runs/update', { run_id, status: 'FINISHED' }),
      await post('runs/log-metric', { run_id, ...metric('m', 1) }),
      await post('runs/log-parameter', { run_id, key: 'k', value: 'v' }),
      await post('runs/set-tag', { run_id, key: 'k', value: 'v' }),
      await post('runs/log-batch', { run_id, metrics: [metric('m', 1)] }),
      await get('metrics/get-history', { run_id, metric_key: 'm' }),
      await post('runs/create', { experiment_id: '424242' }),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('refuses requests without the token, bad JSON, missing fields, unknown endpoints and wrong methods', async () => {
    const noToken = await fetch(mlflow('experiments/search'), { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    const wrongToken = await fetch(mlflow('runs/get?run_id=x'), {
      headers: { Authorization: 'Bearer nope' },
    });
    expect(wrongToken.status).toBe(401);

    const bad = await post('runs/log-batch', '{"run_id": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('BAD_REQUEST');
    const notObject = await post('runs/log-batch', '[1, 2]');
    expect([notObject.status, notObject.body.error_code]).toEqual([400, 'BAD_REQUEST']);
    const missing = await post('runs/log-metric', { key: 'm', value: 1, timestamp: 1 });
    expectInvalid(missing);
    expect(missing.body.message).toMatch(/required parameter 'run_id'/);
    const noTimestamp = await post('runs/log-metric', { run_id: await newRun(), key: 'm', value: 1 });
    expectInvalid(noTimestamp);
    expect(noTimestamp.body.message).toMatch(/'timestamp'/);
    expectInvalid(await post('runs/log-metric', { run_id: 'x', key: 'm', value: 'high', timestamp: 1 }));

    const unknown = await post('runs/delete-everything', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    const wrongMethod = await get('runs/log-batch', { run_id: 'x' });
    expect(wrongMethod.status).toBe(405);
  });

  it('refuses bodies over 16 MB with 413 REQUEST_LIMIT_EXCEEDED', async () => {
    const huge = await post('runs/log-batch', `{"run_id": "x", "pad": "${'x'.repeat(17 * 1024 * 1024)}"}`);
    expect([huge.status, huge.body.error_code]).toEqual([413, 'REQUEST_LIMIT_EXCEEDED']);
  });

  it('serves the same API under /ajax-api/2.0/mlflow/', async () => {
    const r = await fetch(`${app.base}/ajax-api/2.0/mlflow/experiments/get?experiment_id=0`, {
      headers: app.auth(),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as Json).experiment.name).toBe('Default');
  });
});

describe('MLflow REST subset: runs/search', () => {
  it('filters, orders and pages through every match', async () => {
    const exp = (await post('experiments/create', { name: 'sweep' })).body.experiment_id;
    const expected: { id: string; m: number }[] = [];
    for (let i = 0; i < 25; i++) {
      const id = await newRun(exp, { run_name: `r${i}` });
      const p = i % 2 === 0 ? 'a' : 'b';
      const m = (i * 7) % 25;
      await post('runs/log-batch', {
        run_id: id,
        metrics: [metric('m', m / 25)],
        params: [{ key: 'p', value: p }],
      });
      if (p === 'a' && m / 25 > 0.2) expected.push({ id, m });
    }
    expected.sort((x, y) => y.m - x.m);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await post('runs/search', {
        experiment_ids: [exp],
        filter: "metrics.m > 0.2 and params.p = 'a'",
        order_by: ['metrics.m DESC'],
        max_results: 3,
        ...(token ? { page_token: token } : {}),
      });
      expect(r.status).toBe(200);
      for (const run of r.body.runs) {
        expect(run.data.params).toEqual([{ key: 'p', value: 'a' }]);
        expect(run.info.experiment_id).toBe(exp);
        seen.push(run.info.run_id);
      }
      token = r.body.next_page_token;
      pages++;
    } while (token);
    expect(seen).toEqual(expected.map((e) => e.id));
    expect(pages).toBe(Math.ceil(expected.length / 3));

    // MLflow's bare attribute names, and its status vocabulary on the way out.
    const byName = await post('runs/search', { experiment_ids: [exp], filter: "run_name = 'r3'" });
    expect(byName.body.runs.map((r: Json) => r.info.run_name)).toEqual(['r3']);
    // No experiment ids, no runs (as MLflow's store); a bad filter is INVALID_PARAMETER_VALUE.
    expect((await post('runs/search', {})).body).toEqual({ runs: [] });
    expectInvalidSearch(await post('runs/search', { experiment_ids: [exp], filter: 'metrics.m >' }));
    expectInvalidSearch(await post('runs/search', { experiment_ids: [exp], max_results: 50_001 }));
    expectInvalidSearch(await post('runs/search', { experiment_ids: [exp], page_token: 'garbage' }));
  });

  it('tells the UI that runs changed, coalesced', async () => {
    const frames: string[][] = [];
    const off = app.wb.events.subscribe((topic, payload) => {
      if (topic === 'changed') frames.push((payload as { entities: string[] }).entities);
    });
    const id = await newRun();
    for (let i = 0; i < 5; i++) await post('runs/log-metric', { run_id: id, ...metric('x', i, i) });
    await new Promise((r) => setTimeout(r, 400));
    off();
    expect(frames.flat()).toContain('runs');
    expect(frames.length).toBeLessThan(3);
  });

  it("announces what the UI's queries read: a new experiment, a run's metrics", async () => {
    const frames: string[][] = [];
    const off = app.wb.events.subscribe((topic, payload) => {
      if (topic === 'changed') frames.push((payload as { entities: string[] }).entities);
    });
    const reads = (method: string, params: unknown) =>
      entitiesRead(method, params).some((e) => frames.flat().includes(e));
    await post('experiments/create', { name: 'announced' });
    const id = await newRun();
    await post('runs/log-metric', { run_id: id, ...metric('x', 1, 0) });
    await new Promise((r) => setTimeout(r, 400));
    off();
    // Once the endpoint announced 'experiments', which no query read.
    expect(reads('experiments.list', {})).toBe(true);
    expect(reads('runs.search', {})).toBe(true);
    expect(reads('runs.metricHistory', { id, key: 'x' })).toBe(true);
    expect(reads('runs.metricHistory', { id: 'another', key: 'x' })).toBe(false);
  });
});

function expectInvalidSearch(r: { status: number; body: Json }) {
  expect(r.status).toBe(400);
  expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
}
