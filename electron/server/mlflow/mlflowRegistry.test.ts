/**
 * Contract tests of the MLflow Model Registry subset against the real browser-mode server, as
 * MLflow's client sends requests (DELETE and PATCH with JSON bodies) and reads replies: field
 * names, version strings, error codes and statuses, paging; and a run token kept out.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../core/testing/fileTree.ts';
import { runDirs } from '../../core/training/containerRun.ts';
import { testServer } from '../testing/testServer.ts';
import { createMlflowHandler, mlflowPath } from './mlflowRouter.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', '..', 'core', 'registry', 'fixtures');
const app = testServer();

// biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field.
type Json = any;

async function call(method: string, p: string, body?: unknown, token = app.server.token) {
  const get = method === 'GET';
  const qs = get && body ? `?${new URLSearchParams(body as Record<string, string>)}` : '';
  const r = await fetch(`${app.base}/api/2.0/mlflow/${p}${qs}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: get || body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

/** A finished run holding the example classifier's model, as an MLflow client's run. */
async function runWithModel(): Promise<string> {
  const r = await call('POST', 'runs/create', { experiment_id: '0', start_time: 1 });
  const id = r.body.run.info.run_id as string;
  await call('POST', 'runs/update', { run_id: id, status: 'FINISHED', end_time: 2 });
  writeTree(path.join(runDirs(app.wb.home, id).output, 'model'), {
    'model.onnx': fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx')),
    'signature.json': fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json')),
  });
  return id;
}

describe('MLflow registry: registered models', () => {
  it('creates, gets, searches, updates, renames, tags and deletes', async () => {
    const created = await call('POST', 'registered-models/create', {
      name: 'churn',
      description: 'who leaves',
      tags: [{ key: 'team', value: 'growth' }],
    });
    expect(created.status).toBe(200);
    expect(created.body.registered_model).toEqual({
      name: 'churn',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      description: 'who leaves',
      latest_versions: [],
      tags: [{ key: 'team', value: 'growth' }],
      aliases: [],
    });
    expect(await call('POST', 'registered-models/create', { name: 'churn' })).toMatchObject({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS' },
    });
    expect(await call('GET', 'registered-models/get', { name: 'nope' })).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=nope not found' },
    });
    expect((await call('POST', 'registered-models/create', {})).body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/Missing value for required parameter 'name'/),
    });
    expect((await call('POST', 'registered-models/create', { name: 'a b' })).body.error_code).toBe(
      'INVALID_PARAMETER_VALUE',
    );

    for (const n of ['churn-v2', 'fraud']) await call('POST', 'registered-models/create', { name: n });
    const like = await call('GET', 'registered-models/search', { filter: "name LIKE 'churn%'" });
    expect(like.body.registered_models.map((m: Json) => m.name)).toEqual(['churn', 'churn-v2']);
    const first = await call('GET', 'registered-models/search', { max_results: '2' });
    expect(first.body.registered_models).toHaveLength(2);
    const rest = await call('GET', 'registered-models/search', {
      max_results: '2',
      page_token: first.body.next_page_token,
    });
    expect(rest.body.registered_models.map((m: Json) => m.name)).toEqual(['fraud']);
    expect(rest.body.next_page_token).toBeUndefined();
    expect((await call('GET', 'registered-models/search', { max_results: '1001' })).status).toBe(400);

    const updated = await call('PATCH', 'registered-models/update', {
      name: 'churn',
      description: 'who stays',
    });
    expect(updated.body.registered_model.description).toBe('who stays');
    expect(
      (await call('POST', 'registered-models/rename', { name: 'churn-v2', new_name: 'fraud' })).body
        .error_code,
    ).toBe('RESOURCE_ALREADY_EXISTS');
    expect(
      (await call('POST', 'registered-models/rename', { name: 'churn-v2', new_name: 'retention' })).body
        .registered_model.name,
    ).toBe('retention');
    expect(
      (await call('POST', 'registered-models/set-tag', { name: 'fraud', key: 'k', value: 'v' })).status,
    ).toBe(200);
    expect((await call('DELETE', 'registered-models/delete-tag', { name: 'fraud', key: 'k' })).status).toBe(
      200,
    );
    expect((await call('DELETE', 'registered-models/delete-tag', { name: 'fraud', key: 'k' })).status).toBe(
      404,
    );
    expect((await call('DELETE', 'registered-models/delete', { name: 'retention' })).status).toBe(200);
    expect((await call('GET', 'registered-models/get', { name: 'retention' })).status).toBe(404);
    expect((await call('PUT', 'registered-models/delete', { name: 'fraud' })).status).toBe(405);
  });
});

describe('MLflow registry: model versions', () => {
  it('registers runs:/ sources, with aliases, tags, search and download uri', async () => {
    const run = await runWithModel();
    await call('POST', 'registered-models/create', { name: 'iris' });
    const v1 = await call('POST', 'model-versions/create', {
      name: 'iris',
      source: `runs:/${run}/model`,
      run_id: run,
    });
    expect(v1.status).toBe(200);
    expect(v1.body.model_version).toMatchObject({
      name: 'iris',
      version: '1',
      current_stage: 'None',
      source: `runs:/${run}/model/model.onnx`,
      run_id: run,
      status: 'READY',
      aliases: [],
    });
    const v2 = await call('POST', 'model-versions/create', {
      name: 'iris',
      source: `runs:/${run}/model/model.onnx`,
      tags: [{ key: 'stage', value: 'candidate' }],
    });
    expect(v2.body.model_version).toMatchObject({
      version: '2',
      tags: [{ key: 'stage', value: 'candidate' }],
    });
    expect(
      (await call('POST', 'model-versions/create', { name: 'ghost', source: `runs:/${run}/model` })).status,
    ).toBe(404);
    // What mlflow.register_model sends once the client resolved runs:/RUN/model: the artifact URI.
    const runInfo = (await call('GET', 'runs/get', { run_id: run })).body.run.info;
    const resolved = await call('POST', 'model-versions/create', {
      name: 'iris',
      source: `${runInfo.artifact_uri}/model`,
      run_id: run,
    });
    expect(resolved.body.model_version).toMatchObject({ version: '3', run_id: run });
    await call('DELETE', 'model-versions/delete', { name: 'iris', version: '3' });
    expect(
      (await call('POST', 'model-versions/create', { name: 'iris', source: '/tmp/model.onnx' })).body,
    ).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/runs:\/RUN_ID\/PATH/),
    });
    expect(
      (await call('POST', 'model-versions/create', { name: 'iris', source: `runs:/${run}/nothing` })).status,
    ).toBe(404);

    expect(
      (await call('POST', 'registered-models/alias', { name: 'iris', alias: 'champion', version: '1' }))
        .status,
    ).toBe(200);
    expect(
      (await call('GET', 'registered-models/alias', { name: 'iris', alias: 'champion' })).body.model_version
        .version,
    ).toBe('1');
    expect(
      (await call('POST', 'registered-models/alias', { name: 'iris', alias: 'latest', version: '1' })).body
        .error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    const model = await call('GET', 'registered-models/get', { name: 'iris' });
    expect(model.body.registered_model).toMatchObject({
      aliases: [{ alias: 'champion', version: '1' }],
      latest_versions: [{ version: '2' }],
    });
    // An aliased version cannot be deleted.
    expect(
      (await call('DELETE', 'model-versions/delete', { name: 'iris', version: '1' })).body,
    ).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/holds the alias champion/),
    });

    const got = await call('GET', 'model-versions/get', { name: 'iris', version: '2' });
    expect(got.body.model_version.version).toBe('2');
    expect((await call('GET', 'model-versions/get', { name: 'iris', version: '9' })).body).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=iris, version=9) not found',
    });
    const byRun = await call('GET', 'model-versions/search', { filter: `run_id = '${run}'` });
    expect(byRun.body.model_versions.map((v: Json) => v.version).sort()).toEqual(['1', '2']);
    const byName = await call('GET', 'model-versions/search', {
      filter: "name='iris'",
      order_by: 'version_number ASC',
    });
    expect(byName.body.model_versions.map((v: Json) => v.version)).toEqual(['1', '2']);
    expect((await call('GET', 'model-versions/search', { filter: "stage = 'x'" })).status).toBe(400);
    const inList = await call('GET', 'model-versions/search', { filter: `run_id IN ('x', '${run}',)` });
    expect(inList.body.model_versions.map((v: Json) => v.version).sort()).toEqual(['1', '2']);
    // An unclosed list of quoted items with no commas: one reading, refused at once (it took
    // seconds at 30 items, doubling with each two more).
    const started = performance.now();
    const unclosed = await call('GET', 'model-versions/search', {
      filter: `run_id IN (${"'a'".repeat(30)}x`,
    });
    expect(unclosed.status).toBe(400);
    // …and one item followed by a URL's worth of spaces (0.4 s a request when the spaces could
    // be split two ways around an optional comma).
    const spaces = await call('GET', 'model-versions/search', {
      filter: `run_id IN ('a'${' '.repeat(12_000)}`,
    });
    expect(spaces.status).toBe(400);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(
      (await call('GET', 'model-versions/get-download-uri', { name: 'iris', version: '2' })).body,
    ).toEqual({
      artifact_uri: `runs:/${run}/model/model.onnx`,
    });

    expect(
      (await call('PATCH', 'model-versions/update', { name: 'iris', version: '2', description: 'd' })).body
        .model_version.description,
    ).toBe('d');
    expect(
      (await call('POST', 'model-versions/set-tag', { name: 'iris', version: '2', key: 'k', value: 'v' }))
        .status,
    ).toBe(200);
    expect(
      (await call('DELETE', 'model-versions/delete-tag', { name: 'iris', version: '2', key: 'k' })).status,
    ).toBe(200);
    expect(
      (await call('DELETE', 'registered-models/alias', { name: 'iris', alias: 'champion' })).status,
    ).toBe(200);
    expect((await call('DELETE', 'model-versions/delete', { name: 'iris', version: '1' })).status).toBe(200);
    const history = await app.api.call('models.get', { name: 'iris' });
    expect(history.history.map((h) => [h.from, h.to, h.kind])).toEqual([
      [1, null, 'removed'],
      [null, 1, 'manual'],
    ]);
  });

  it("keeps a run's token out of the registry", async () => {
    const run = await runWithModel();
    const handle = createMlflowHandler(app.wb.tracking, { registry: app.wb.registry });
    const scoped = http.createServer((req, res) => {
      void handle(req, res, mlflowPath(new URL(req.url!, 'http://x').pathname)!, {
        runId: run,
        experimentId: '0',
      });
    });
    await new Promise<void>((r) => scoped.listen(0, '127.0.0.1', r));
    try {
      const port = (scoped.address() as AddressInfo).port;
      for (const [method, p] of [
        ['POST', 'registered-models/create'],
        ['POST', 'model-versions/create'],
        ['GET', 'registered-models/search'],
      ] as const) {
        const r = await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/${p}`, {
          method,
          headers: { 'Content-Type': 'application/json' },
          body:
            method === 'GET' ? undefined : JSON.stringify({ name: 'sneaky', source: `runs:/${run}/model` }),
        });
        expect([p, r.status, ((await r.json()) as Json).error_code]).toEqual([p, 403, 'PERMISSION_DENIED']);
      }
      expect(app.wb.registry.repo.findModel('sneaky')).toBeUndefined();
    } finally {
      scoped.closeAllConnections();
      await new Promise((r) => scoped.close(r));
    }
  });
});
