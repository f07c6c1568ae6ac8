/**
 * A request log in a volume of an engine this machine's files cannot reach, read through the
 * engine (remoteRequestLog.ts) into a real SQLite store: the engine here is the local one, its
 * volume reached only through one-off containers, as another machine's would be. The log is laid
 * out and changed (appends, a rotation, a line half written) by root containers, as the servers
 * there would.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestLogIngest } from '../monitoring/requestLogIngest.ts';
import { BASE_IMAGE } from '../serving/modelImage.ts';
import { openDatabase } from '../store/database.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { dockerSkipReason } from '../testing/trainingFixtures.ts';
import { runOnVolume } from '../testing/volumeScripts.ts';
import { readRemoteLog, setAsideRemoteLog, type VolumeTask } from './remoteRequestLog.ts';

const docker = new Docker();
const skip = await dockerSkipReason([BASE_IMAGE]);
if (skip) console.warn(`remote request log tests skipped: ${skip}`);
const dirs = tempDirs();
const volumes: string[] = [];

afterAll(async () => {
  for (const v of volumes)
    await docker
      .getVolume(v)
      .remove({ force: true })
      .catch(() => {});
});

function line(id: string, version = 1): string {
  return `${JSON.stringify({
    id,
    time: '2026-11-29T10:00:00.000Z',
    version,
    endpoint: 'invocations',
    features: { a: [1, 2] },
    outputs: { label: [0, 1] },
    latencyMs: 1.5,
    status: 200,
  })}\n`;
}

/** Runs `sh -c script` as root with the volume at /v: how the test plays the servers. */
const onVolume = (volume: string, script: string, env: Record<string, string> = {}) =>
  runOnVolume(docker, volume, script, { env });

function setup() {
  const volume = `mlwb-test-requests-${randomBytes(4).toString('hex')}`;
  volumes.push(volume);
  const db = openDatabase(path.join(dirs.make(), 'workbench.db'));
  const task: VolumeTask = { docker, image: BASE_IMAGE, volume, deployment: 'iris', engine: 'box' };
  const ids = () =>
    (db.prepare('SELECT request_id FROM requests ORDER BY seq').all() as { request_id: string }[]).map(
      (r) => r.request_id,
    );
  return { volume, db, task, ids };
}

describe.skipIf(Boolean(skip))('a request log read through its engine', () => {
  it('takes each line once across appends, a rotation, a half-written line and two readers', async () => {
    const { volume, db, task, ids } = setup();
    const ingest = new RequestLogIngest(db);
    const read = (budget?: number) => (known: Record<string, number>, scale: number) =>
      readRemoteLog(task, known, budget && budget * scale);

    // No volume yet (nothing logged): nothing read.
    expect(await ingest.ingestRead('dep', read())).toEqual({ added: 0, skipped: 0 });

    const r3 = line('r3');
    await onVolume(
      volume,
      'mkdir -p /v/g1 /v/g2-r1 /v/other && printf %s "$A" > /v/g1/requests.jsonl && printf %s "$B" > /v/g2-r1/requests.jsonl && printf %s "$B" > /v/other/requests.jsonl',
      {
        A: line('r1') + line('r2') + r3.slice(0, 20),
        B: line('r4', 2),
      },
    );
    expect(await ingest.ingestRead('dep', read())).toEqual({ added: 3, skipped: 0 });
    expect(ids()).toEqual(['r1', 'r2', 'r4']);

    // The half-written line ends; the server rotates and starts a new file; more lines come than
    // one read may carry (a 300-byte budget: several containers in one look).
    // One line longer than a read (about 900 bytes): read again with a larger budget.
    const long = `${JSON.stringify({ id: 'long', time: '2026-11-29T10:00:00.000Z', version: 1, endpoint: 'invocations', features: { a: Array.from({ length: 200 }, (_, i) => i) }, outputs: null, latencyMs: 1, status: 200 })}\n`;
    expect(long.length).toBeGreaterThan(600);
    const more = Array.from({ length: 6 }, (_, i) => line(`n${i}`)).join('') + long;
    await onVolume(
      volume,
      'printf %s "$END" >> /v/g1/requests.jsonl && mv /v/g1/requests.jsonl /v/g1/requests.1.jsonl && printf %s "$MORE" > /v/g1/requests.jsonl',
      { END: r3.slice(20), MORE: more },
    );
    // Two readers at once (the app's schedule and a CLI): every line once.
    const other = new RequestLogIngest(db);
    const [a, b] = await Promise.all([
      ingest.ingestRead('dep', read(300)),
      other.ingestRead('dep', read(300)),
    ]);
    expect(a.added + b.added).toBe(8);
    expect(ids().sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'long'].sort());
    // Nothing new: nothing taken.
    expect(await ingest.ingestRead('dep', read())).toEqual({ added: 0, skipped: 0 });
    // The oldest file rotated out: the store forgets it, so what a reader is told stays small.
    const keys = () => (db.prepare('SELECT count(*) AS n FROM request_log_files').get() as { n: number }).n;
    expect(keys()).toBe(3);
    await onVolume(volume, 'rm /v/g1/requests.1.jsonl');
    expect(await ingest.ingestRead('dep', read())).toEqual({ added: 0, skipped: 0 });
    expect(keys()).toBe(2);
  });

  it('sets an old deployment’s log aside for a new one of the same name', async () => {
    const { volume, db, task, ids } = setup();
    expect(await setAsideRemoteLog(task)).toBe(0);
    await onVolume(
      volume,
      'mkdir -p /v/g1 /v/g2 && printf %s "$A" > /v/g1/requests.jsonl && chown -R 10001:10001 /v',
      {
        A: line('old'),
      },
    );
    // A container that still mounts the volume (another home's deployment of the name): left alone.
    const user = await docker.createContainer({
      Image: BASE_IMAGE,
      Cmd: ['sleep', '60'],
      HostConfig: { Binds: [`${volume}:/v`], NetworkMode: 'none' },
    });
    await user.start();
    try {
      expect(await setAsideRemoteLog(task)).toBe(0);
    } finally {
      await user.remove({ force: true });
    }
    expect(await setAsideRemoteLog(task)).toBe(2);
    const ingest = new RequestLogIngest(db);
    expect(await ingest.ingestRead('dep', (k) => readRemoteLog(task, k))).toEqual({ added: 0, skipped: 0 });
    expect(ids()).toEqual([]);
  });

  it('is cancelled at once, its container removed', async () => {
    const { volume, task } = setup();
    await onVolume(volume, 'mkdir -p /v/g1');
    const abort = new AbortController();
    const reading = readRemoteLog({ ...task, signal: abort.signal }, {});
    setTimeout(() => abort.abort(), 20);
    await expectErrorCode(reading, 'CANCELLED');
    await expect
      .poll(
        async () =>
          (
            await docker.listContainers({
              all: true,
              filters: { label: ['org.mlwb.role=request-log-reader'], volume: [volume] },
            })
          ).length,
        { timeout: 10_000 },
      )
      .toBe(0);
  });

  it('says what to do when the deployment’s image is gone from the engine', async () => {
    const { volume, task } = setup();
    await onVolume(volume, 'mkdir -p /v/g1');
    await expectErrorCode(
      readRemoteLog({ ...task, image: 'mlwb-model/gone:v1-000000000000' }, {}),
      'NOT_FOUND',
      /image mlwb-model\/gone:v1-000000000000, which is no longer there\. Deploy iris again/,
    );
  });
});
