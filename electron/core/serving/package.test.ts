/**
 * Packaging against the real engine: the iris fixture model, registered from a run, becomes an
 * image that runs as a non-root user with a read-only root filesystem and answers both protocols;
 * packaging it again reuses the image; a damaged model file is refused before anything is built.
 * Without an engine and the node-runtime base these are skipped with the reason, unless
 * MLWB_REQUIRE_DOCKER=1, where that is a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { writeTree } from '../testing/fileTree.ts';
import { runWithOutputs } from '../testing/runFixtures.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { dockerSkipReason } from '../testing/trainingFixtures.ts';
import { BASE_IMAGE, LABEL_CONTENT_DIGEST, packageModel, REQUEST_LOG_DIR } from './modelImage.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'registry', 'fixtures');
const MODEL = fs.readFileSync(path.join(fixtures, 'iris-logreg.onnx'));
const SIGNATURE = fs.readFileSync(path.join(fixtures, 'iris-logreg.signature.json'), 'utf8');
const TAG = 'mlwb-test/iris-packaged:test';

const docker = new Docker();
const skip = await dockerSkipReason([BASE_IMAGE]);
if (skip) console.warn(`packaging tests skipped: ${skip}`);

const app = testWorkbench();
const dirs = tempDirs();
const images = new Set<string>();
const containers: Docker.Container[] = [];
afterAll(async () => {
  for (const c of containers) await c.remove({ force: true, v: true }).catch(() => {});
  for (const id of images)
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => {});
});

/** Registers the iris fixture from a finished run that read a small dataset (its lineage). */
async function registerIris(name: string) {
  const wb = app.wb;
  const data = dirs.make();
  writeTree(data, {
    'train.csv': 'sepal_length,sepal_width,petal_length,petal_width,target\n5.1,3.5,1.4,0.2,0\n',
  });
  const { version, digest } = await wb.datasets.add(
    { name: 'iris-rows', paths: [data], message: '' },
    { signal: new AbortController().signal, progress: () => {} },
  );
  const run = runWithOutputs(
    wb,
    { 'model/model.onnx': MODEL, 'model/signature.json': SIGNATURE },
    { trainedOn: { dataset: 'iris-rows', version, digest } },
  );
  const registered = await app.api.call('models.register', { runId: run, name });
  return { ...registered, run, dataset: `iris-rows@${version}=${digest}` };
}

/** Runs a command in the container; its stdout. */
async function execIn(container: Docker.Container, cmd: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (b: Buffer) => out.push(b));
  const stderr = new PassThrough().on('data', (b: Buffer) => err.push(b));
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', resolve).on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0)
    throw new Error(`${cmd.join(' ')} exited ${ExitCode}: ${Buffer.concat(err).toString()}`);
  return Buffer.concat(out).toString();
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
      last = `status ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms (${last})`);
}

describe.skipIf(skip)('packaging a model version', () => {
  it('builds a labelled, non-root image that serves OIP and MLflow on a read-only root', async () => {
    const v = await registerIris('Iris.Packaged');
    const started = performance.now();
    const phases = new Set<string>();
    const r = await app.api.call(
      'models.package',
      { name: 'Iris.Packaged', version: v.version, tag: TAG },
      { onProgress: (p) => phases.add(p.phase) },
    );
    const coldMs = performance.now() - started;
    images.add(r.imageId);
    expect(r.reused).toBe(false);
    expect(r.image).toMatch(/^mlwb-model\/iris-packaged:v1-[0-9a-f]{12}$/);
    expect([...phases]).toEqual(expect.arrayContaining(['checking', 'bundling', 'building']));
    expect(r.sizeBytes).toBeLessThan(250e6);

    const info = await docker.getImage(r.image).inspect();
    expect(info.Id).toBe(r.imageId);
    expect(info.RepoTags).toContain(TAG);
    const labels = info.Config.Labels ?? {};
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '1',
      'dev.mlops-workbench.model.name': 'Iris.Packaged',
      'dev.mlops-workbench.model.version': '1',
      'dev.mlops-workbench.model.sha256': v.sha256,
      'dev.mlops-workbench.model.run-id': v.run,
      'dev.mlops-workbench.model.dataset-digests': v.dataset,
    });
    for (const k of ['title', 'created', 'description'])
      expect(labels[`org.opencontainers.image.${k}`]).toBeTruthy();
    expect(labels[LABEL_CONTENT_DIGEST]).toMatch(/^[0-9a-f]{64}$/);
    expect(info.Config.User).toMatch(/^[1-9][0-9]*:/);
    expect(info.Config.Healthcheck?.Test?.join(' ')).toMatch(/\/v2\/health\/ready/);
    expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);

    const container = await docker.createContainer({
      Image: r.imageId,
      HostConfig: {
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': 'rw,size=16m' },
        NetworkMode: 'bridge',
      },
    });
    containers.push(container);
    const t0 = performance.now();
    await container.start();
    const port = (await container.inspect()).NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
    expect(port).toBeTruthy();
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, 30_000).catch(async (err) => {
      const logs = await container.logs({ stdout: true, stderr: true, tail: 30 });
      throw new Error(`${(err as Error).message}\n${logs.toString()}`);
    });
    const readyMs = performance.now() - t0;

    const oip = await fetch(`${url}/v2/models/Iris.Packaged/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'one',
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    expect(oip.status).toBe(200);
    const oipBody = (await oip.json()) as { id: string; outputs: { name: string; data: number[] }[] };
    expect(oipBody.id).toBe('one');
    expect(oipBody.outputs.find((o) => o.name === 'label')?.data).toEqual([0]);

    const mlflow = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        dataframe_split: {
          columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
          data: [[6.7, 3.0, 5.2, 2.3]],
        },
      }),
    });
    expect(mlflow.status).toBe(200);
    const predictions = ((await mlflow.json()) as { predictions: { label: string }[] }).predictions;
    expect(predictions.map((p) => p.label)).toEqual(['virginica']);

    // The request log lands in the image's log volume, read-only root notwithstanding.
    // Lines are written in batches, by the server's primary process: read until both are there.
    let lines: { endpoint: string; status: number }[] = [];
    for (let tries = 0; tries < 50 && lines.length < 2; tries++) {
      if (tries) await new Promise((r) => setTimeout(r, 100));
      const logged = await execIn(container, [
        'node',
        '-e',
        // Each file up to its last newline: a batch may be read while it is written.
        `const fs = require("fs"), d = ${JSON.stringify(REQUEST_LOG_DIR)}; for (const f of fs.readdirSync(d)) { const t = fs.readFileSync(d + "/" + f, "utf8"); process.stdout.write(t.slice(0, t.lastIndexOf("\\n") + 1)); }`,
      ]);
      lines = logged
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { endpoint: string; status: number });
    }
    expect(lines.map((l) => [l.endpoint, l.status])).toEqual([
      ['infer', 200],
      ['invocations', 200],
    ]);
    console.info(
      `packaging: cold ${coldMs.toFixed(0)} ms, image ${(r.sizeBytes / 1e6).toFixed(1)} MB, start → ready ${readyMs.toFixed(0)} ms`,
    );

    // Packaging the same version again finds the image by its parts.
    const t1 = performance.now();
    const again = await app.api.call('models.package', { name: 'Iris.Packaged', version: v.version });
    const reusedMs = performance.now() - t1;
    expect(again).toMatchObject({ reused: true, imageId: r.imageId, image: r.image });
    expect(reusedMs).toBeLessThan(coldMs);
    console.info(`packaging: reused ${reusedMs.toFixed(0)} ms`);
  }, 240_000);

  it('refuses a version whose model file is damaged, before building', async () => {
    const v = await registerIris('iris-damaged');
    const file = app.wb.objects.pathFor(v.sha256);
    // The object store keeps files read-only; the first test's version shares this file, so it
    // is put back afterwards.
    fs.chmodSync(file, 0o644);
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.from('not a model'));
    try {
      await expectErrorCode(
        app.api.call('models.package', { name: 'iris-damaged', version: v.version }),
        'INVALID_INPUT',
        /iris-damaged@1's model file is damaged/,
      );
      const built = await docker.listImages({
        filters: { label: ['dev.mlops-workbench.model.name=iris-damaged'] },
      });
      expect(built).toEqual([]);
    } finally {
      fs.writeFileSync(file, original);
    }
  });
});

it('says how to start the engine when none answers', async () => {
  const v = await registerIris('iris-no-engine');
  const version = app.wb.registry.resolve({ name: 'iris-no-engine', version: v.version });
  const gone = new Docker({ socketPath: path.join(dirs.make(), 'docker.sock') });
  await expectErrorCode(
    packageModel(
      { docker: gone, objects: app.wb.objects, tmpDir: dirs.make() },
      version,
      {},
      { signal: new AbortController().signal, progress: () => {} },
    ),
    'ENGINE_UNAVAILABLE',
    /does not answer.*Start it/,
  );
});
