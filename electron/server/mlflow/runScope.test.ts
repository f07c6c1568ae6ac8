/**
 * A run's token through the MLflow API: its own run and its experiment, nothing else. Every
 * endpoint, as a run container would call it, against a handler held to one run (as the tracking
 * listener holds it); the end-to-end path through the listener is in ../hostileRun.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWorkbench } from '../../core/testing/testWorkbench.ts';
import { createMlflowHandler, mlflowPath, type RunScope } from './mlflowRouter.ts';

const app = testWorkbench();
let server: http.Server;
let base: string;
let own: RunScope;
let sibling: string;
let other: string;
let elsewhere: string;

beforeAll(async () => {
  const experiment = app.wb.tracking.createExperiment('mine');
  elsewhere = app.wb.tracking.createExperiment('elsewhere');
  own = {
    runId: app.wb.tracking.createRun({ experimentId: experiment, status: 'RUNNING' }),
    experimentId: experiment,
  };
  sibling = app.wb.tracking.createRun({ experimentId: experiment, name: 'sibling', status: 'RUNNING' });
  other = app.wb.tracking.createRun({ experimentId: elsewhere, name: 'other', status: 'FINISHED' });
  for (const id of [own.runId, sibling, other])
    app.wb.tracking.logMetrics(id, [{ key: 'm', value: 1, step: 0, timestamp: 1 }]);
  const handle = createMlflowHandler(app.wb.tracking);
  server = http.createServer((req, res) => {
    void handle(req, res, mlflowPath(new URL(req.url!, 'http://x').pathname)!, own);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/2.0/mlflow`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

// biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field.
type Json = any;

async function post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${base}/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function get(path: string, query: string): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${base}/${path}?${query}`);
  return { status: r.status, body: await r.json() };
}

const DENIED = { status: 403, body: { error_code: 'PERMISSION_DENIED', message: expect.any(String) } };
const point = { key: 'x', value: 1, timestamp: 1, step: 0 };

describe('a run token through the MLflow API', () => {
  it('writes to and reads its own run', async () => {
    expect((await post('runs/log-metric', { run_id: own.runId, ...point })).status).toBe(200);
    expect(
      (await post('runs/log-batch', { run_id: own.runId, metrics: [{ ...point, step: 1 }] })).status,
    ).toBe(200);
    expect((await post('runs/log-parameter', { run_uuid: own.runId, key: 'p', value: 'v' })).status).toBe(
      200,
    );
    expect((await post('runs/set-tag', { run_id: own.runId, key: 't', value: 'v' })).status).toBe(200);
    expect((await post('runs/update', { run_id: own.runId, run_name: 'renamed' })).status).toBe(200);
    const run = await get('runs/get', `run_id=${own.runId}`);
    expect(run.status).toBe(200);
    expect(run.body.run.info.run_name).toBe('renamed');
    const history = await get('metrics/get-history', `run_id=${own.runId}&metric_key=x`);
    expect(history.body.metrics.map((p: { step: number }) => p.step)).toEqual([0, 1]);
  });

  it('reads its own experiment, by id and by name', async () => {
    expect((await get('experiments/get', `experiment_id=${own.experimentId}`)).body.experiment.name).toBe(
      'mine',
    );
    expect((await get('experiments/get-by-name', 'experiment_name=mine')).status).toBe(200);
  });

  it('refuses other runs, reads and writes alike, and leaves them as they were', async () => {
    const before = [app.wb.tracking.run(sibling), app.wb.tracking.run(other)];
    for (const id of [sibling, other]) {
      expect(await post('runs/log-metric', { run_id: id, ...point })).toMatchObject(DENIED);
      expect(await post('runs/log-batch', { run_id: id, metrics: [point] })).toMatchObject(DENIED);
      expect(await post('runs/log-parameter', { run_id: id, key: 'p', value: 'v' })).toMatchObject(DENIED);
      expect(await post('runs/set-tag', { run_id: id, key: 'mlflow.runName', value: 'pwned' })).toMatchObject(
        DENIED,
      );
      expect(await post('runs/update', { run_uuid: id, run_name: 'pwned', status: 'FAILED' })).toMatchObject(
        DENIED,
      );
      expect(await get('runs/get', `run_id=${id}`)).toMatchObject(DENIED);
      expect(await get('metrics/get-history', `run_id=${id}&metric_key=m`)).toMatchObject(DENIED);
    }
    // Its own id beside another's: the run the endpoint would act on is the one checked.
    expect(await post('runs/log-metric', { run_id: other, run_uuid: own.runId, ...point })).toMatchObject(
      DENIED,
    );
    expect(await get('runs/get', `run_id=${own.runId}&run_id=${other}`)).toMatchObject({ status: 400 });
    expect([app.wb.tracking.run(sibling), app.wb.tracking.run(other)]).toEqual(before);
  });

  it('refuses other experiments, and creating experiments or runs', async () => {
    expect(await get('experiments/get', `experiment_id=${elsewhere}`)).toMatchObject(DENIED);
    expect(await get('experiments/get-by-name', 'experiment_name=elsewhere')).toMatchObject(DENIED);
    // The same answer whether or not the experiment exists.
    expect(await get('experiments/get-by-name', 'experiment_name=nowhere')).toMatchObject(DENIED);
    expect(await post('experiments/search', {})).toMatchObject(DENIED);
    const names = app.wb.tracking.experiments().map((e) => e.name);
    expect(await post('experiments/create', { name: 'pwned' })).toMatchObject(DENIED);
    expect(await post('runs/create', { experiment_id: own.experimentId })).toMatchObject(DENIED);
    expect(app.wb.tracking.experiments().map((e) => e.name)).toEqual(names);
    const denied = await post('experiments/create', { name: 'pwned' });
    expect(denied.body.message).toMatch(new RegExp(`run ${own.runId}'s.*only its own run`));
  });

  it('finds only its own run through runs/search, whatever it asks for', async () => {
    const ids = async (body: unknown) =>
      ((await post('runs/search', body)).body.runs ?? []).map((r: Json) => r.info.run_id);
    expect(await ids({ experiment_ids: [own.experimentId, elsewhere] })).toEqual([own.runId]);
    expect(await ids({ experiment_ids: [elsewhere] })).toEqual([]);
    expect(await ids({ experiment_ids: [own.experimentId], filter: 'metrics.m = 1' })).toEqual([own.runId]);
    expect(
      await ids({ experiment_ids: [own.experimentId], filter: "attributes.run_name = 'sibling'" }),
    ).toEqual([]);
    expect(
      await ids({ experiment_ids: [own.experimentId], filter: `attributes.run_id = '${sibling}'` }),
    ).toEqual([]);
    // A filter that does not parse alone is refused as a bad filter, never joined with the narrowing.
    const open = await post('runs/search', { experiment_ids: [own.experimentId], filter: "tags.t = 'v" });
    expect(open.status).toBe(400);
    expect(open.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('is not narrowed on the browser-mode server, where the caller holds the user’s token', async () => {
    const handle = createMlflowHandler(app.wb.tracking);
    const user = http.createServer((req, res) => {
      void handle(req, res, mlflowPath(new URL(req.url!, 'http://x').pathname)!);
    });
    await new Promise<void>((r) => user.listen(0, '127.0.0.1', r));
    try {
      const port = (user.address() as AddressInfo).port;
      const r = await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/runs/get?run_id=${other}`);
      expect(r.status).toBe(200);
    } finally {
      user.closeAllConnections();
      await new Promise((r) => user.close(r));
    }
  });
});
