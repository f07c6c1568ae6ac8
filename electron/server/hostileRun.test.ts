/**
 * A training container must never reach past its run (issue 9). Hostile recipes, for real in the
 * Docker engine, against the workbench as the app runs it (in-process, with its browser-mode
 * server and the tracking listener): links, hard links, named pipes, devices and huge files in
 * their outputs, and MLflow calls with their own token against other runs. Nothing outside the
 * run is served, copied or printed; every refusal says what was refused and why; other runs are
 * untouched; and the app answers throughout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlwb } from '../cli/testing/mlwbProcess.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import {
  dockerSkipReason,
  writeHostileRecipe,
  writeHugeOutputsRecipe,
} from '../core/testing/trainingFixtures.ts';
import { runDirs } from '../core/training/containerRun.ts';
import { testServer } from './testing/testServer.ts';
import { startTrackingListener, type TrackingListener } from './trackingListener.ts';

const skipReason = await dockerSkipReason();
const dirs = tempDirs();
const SECRET = `TOP-SECRET-${process.pid}-${Date.now()}`;
const app = testServer();
let listener: TrackingListener | undefined;
let secret: string;

beforeAll(async () => {
  if (skipReason) return;
  listener = await startTrackingListener(app.wb);
  // A host file only root may read, in a folder of its own: the container cannot see it, but a
  // workbench that followed a link to it would read it.
  secret = path.join(dirs.make(), 'secret.txt');
  fs.writeFileSync(secret, `${SECRET}\n`);
  fs.chmodSync(secret, 0o600);
});
afterAll(async () => {
  await listener?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the browser-mode server for datasets.list, over and over, until stopped: the longest time
 * between two answers, and how many were not a 200. A blocked main thread shows as a long gap.
 */
function keepAsking(): { stop(): Promise<{ longestGapMs: number; failed: number }> } {
  let stopped = false;
  let longestGapMs = 0;
  let failed = 0;
  const loop = (async () => {
    let last = Date.now();
    while (!stopped) {
      const r = await fetch(`${app.base}/api/invoke/datasets.list`, {
        method: 'POST',
        headers: { ...app.auth(), 'Content-Type': 'application/json' },
        body: '{}',
      }).catch(() => undefined);
      if (r?.status !== 200) failed++;
      await r?.arrayBuffer();
      const now = Date.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      await sleep(200);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { longestGapMs, failed };
    },
  };
}

/**
 * A safety valve for a workbench that does block on the pipe (so that a regression fails the test
 * instead of hanging it forever): after `ms`, a thread of its own opens the pipe for writing every
 * 100 ms, which lets a reader blocked in open() go on.
 */
function unblockPipeAfter(fifo: string, ms: number): Worker {
  return new Worker(
    `const { workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     const tick = () => {
       try { fs.closeSync(fs.openSync(workerData.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch {}
       setTimeout(tick, 100);
     };
     setTimeout(tick, workerData.ms);`,
    { eval: true, workerData: { fifo, ms } },
  );
}

async function untilRunning(id: string): Promise<void> {
  for (let i = 0; i < 600 && app.wb.tracking.runRow(id).status === 'QUEUED'; i++) await sleep(100);
}

async function download(id: string, rel: string, method = 'GET') {
  const r = await fetch(
    `${app.base}/api/runs/${id}/artifacts/${rel.split('/').map(encodeURIComponent).join('/')}`,
    {
      method,
      headers: app.auth(),
    },
  );
  return { status: r.status, headers: r.headers, text: method === 'HEAD' ? '' : await r.text() };
}

describe.skipIf(Boolean(skipReason))(`hostile runs${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('keeps a run inside its folder and its own MLflow run: links, pipes, devices, hard links and other runs are refused, and the app answers throughout', async () => {
    expect(listener, 'the tracking listener must start on this engine').toBeDefined();
    const elsewhere = app.wb.tracking.createExperiment('elsewhere');
    const other = app.wb.tracking.createRun({
      experimentId: elsewhere,
      name: 'untouched',
      status: 'FINISHED',
      tags: { keep: 'me' },
    });
    app.wb.tracking.logMetrics(other, [{ key: 'm', value: 1, step: 0, timestamp: 1 }]);
    const sibling = app.wb.tracking.createRun({ experimentId: '0', name: 'sibling', status: 'RUNNING' });
    const before = {
      other: app.wb.tracking.run(other),
      sibling: app.wb.tracking.run(sibling),
      experiments: app.wb.tracking.experiments().map((e) => e.name),
    };

    const asking = keepAsking();
    let valve: Worker | undefined;
    let id: string;
    try {
      [id] = (await app.wb.runs.start({
        recipe: writeHostileRecipe(dirs.make()),
        params: { secret, other_run: other, other_experiment: elsewhere, sibling_run: sibling, linger: 8 },
      })) as [string];
      await untilRunning(id);
      valve = unblockPipeAfter(path.join(runDirs(app.wb.home, id).output, 'metrics.jsonl'), 15_000);
      await app.wb.runs.waitFor(id);
    } finally {
      await valve?.terminate();
    }
    const answering = await asking.stop();

    // The app answered all along, however long the run held its pipes open.
    expect(answering.failed).toBe(0);
    expect(answering.longestGapMs).toBeLessThan(5000);

    const detail = app.wb.runs.detail(id);
    const log = app.wb.runs.logs(id).map((l) => l.text);
    expect(app.wb.tracking.run(id).status, log.join('\n')).toBe('FAILED');
    expect(detail.exitCode).toBe(3);
    expect(log).toContain('outputs made');
    expect(log.some((l) => l === 'mknod made' || l.startsWith('mknod refused'))).toBe(true);

    // The failure file is a link: not read; the reason says so instead.
    expect(detail.failureReason).not.toContain(SECRET);
    expect(detail.failureReason).toMatch(/exited with code 3/);
    expect(detail.failureReason).toMatch(/failure was not read: it is a symbolic link/);
    // The named pipe in place of metrics.jsonl is said, once, in the run's log.
    expect(log.filter((l) => /^mlwb: .*metrics\.jsonl is a named pipe/.test(l))).toHaveLength(1);

    // Only its regular, single-link files are its artifacts.
    expect(detail.artifacts).toEqual([
      { path: 'artifacts/huge.bin', size: 2 ** 30 },
      { path: 'artifacts/ok.txt', size: 5 },
    ]);
    const refused: [string, RegExp][] = [
      ['artifacts/leak.txt', /is a symbolic link/],
      ['artifacts/dirlink/secret.txt', /artifacts\/dirlink is a symbolic link/],
      ['model/secret.txt', /model is a symbolic link/],
      ['failure', /is a symbolic link/],
      ['artifacts/hardlink.txt', /is a hard link/],
      ['artifacts/original.txt', /is a hard link/],
      ['artifacts/pipe', /is a named pipe/],
      ['metrics.jsonl', /is a named pipe/],
    ];
    if (log.includes('mknod made')) refused.push(['artifacts/null', /is a device/]);
    const saveTo = dirs.make();
    for (const [rel, why] of refused) {
      const r = await download(id, rel);
      expect(r.text).not.toContain(SECRET);
      expect([r.status, JSON.parse(r.text).error.message], rel).toEqual([400, expect.stringMatching(why)]);
      await expect(app.wb.runs.saveArtifact(id, rel, saveTo), rel).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(why),
      });
    }
    expect(fs.readdirSync(saveTo)).toEqual([]);
    expect(await download(id, 'artifacts/ok.txt')).toMatchObject({ status: 200, text: 'fine\n' });
    const huge = await download(id, 'artifacts/huge.bin', 'HEAD');
    expect([huge.status, huge.headers.get('content-length')]).toEqual([200, String(2 ** 30)]);
    const saved = await app.wb.runs.saveArtifact(id, 'artifacts/ok.txt', saveTo);
    expect(fs.readFileSync(saved, 'utf8')).toBe('fine\n');

    // `mlwb runs show` in another process prints nothing of the host file.
    for (const args of [[], ['--json']]) {
      const shown = await mlwb(app.wb.home, 'runs', 'show', id, ...args);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/symbolic link/);
      expect(shown.stdout + shown.stderr).not.toContain(SECRET);
    }

    // Its token reached its own run only.
    expect(app.wb.tracking.run(id).metrics).toEqual({ own: 1 });
    for (const own of ['own-metric', 'own-get', 'own-experiment'])
      expect(log.some((l) => l.startsWith(`${own} accepted`))).toBe(true);
    for (const attempt of [
      'other-metric',
      'sibling-batch',
      'other-rename',
      'other-tag',
      'other-get',
      'other-history',
      'other-experiment',
      'create-experiment',
      'create-run',
    ])
      expect(log).toContain(`${attempt} 403 PERMISSION_DENIED`);
    expect(log).toContain(`search found ['${id}']`);
    expect(app.wb.tracking.run(other)).toEqual(before.other);
    expect(app.wb.tracking.run(sibling)).toEqual(before.sibling);
    expect(app.wb.tracking.experiments().map((e) => e.name)).toEqual(before.experiments);

    // And it works no more now that the run has ended.
    const token = app.wb.tracking.runToken(id)!;
    const late = await fetch(`${listener!.uri}/api/2.0/mlflow/runs/get?run_id=${id}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(late.status).toBe(401);
  }, 240_000);

  it('reads at most a bounded slice of huge outputs: a 1 GiB failure file, a 1 GiB metrics line, 8 MiB of output without a newline', async () => {
    const rssBefore = process.resourceUsage().maxRSS;
    const asking = keepAsking();
    const [id] = (await app.wb.runs.start({ recipe: writeHugeOutputsRecipe(dirs.make()) })) as [string];
    await app.wb.runs.waitFor(id);
    const answering = await asking.stop();
    expect(answering.failed).toBe(0);
    expect(answering.longestGapMs).toBeLessThan(5000);

    const detail = app.wb.runs.detail(id);
    expect(app.wb.tracking.run(id).status).toBe('FAILED');
    // The failure file's start, without the terminal escapes and NULs.
    expect(detail.failureReason).toBe('the real reason in red');
    // The lines either side of the huge one are read; the huge one is skipped and counted.
    expect(app.wb.tracking.run(id).metrics).toEqual({ before: 1, after: 2 });
    expect(detail.skippedMetrics).toBeGreaterThanOrEqual(1);
    const log = app.wb.runs.logs(id, 10_000).map((l) => l.text);
    expect(log.at(-1)).toBe('done');
    expect(Math.max(...log.map((l) => l.length))).toBeLessThanOrEqual(64 * 1024);
    // maxRSS is in KiB: nothing close to a whole 1 GiB file was held in memory.
    expect((process.resourceUsage().maxRSS - rssBefore) / 1024).toBeLessThan(512);
  }, 240_000);
});
