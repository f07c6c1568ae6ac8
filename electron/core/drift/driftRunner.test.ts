/** The worker-thread path: same report as in-process, errors keep their codes, cancellation works. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftProgress } from '../../../shared/drift.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { driftCheck, driftCheckFiles } from './driftCheck.ts';
import { runDriftInWorker } from './driftRunner.ts';

const dirs = tempDirs();
let dir: string;
let files: { reference: string; current: string };
const reference = {
  x: Array.from({ length: 3000 }, (_, k) => Math.sin(k) * 10),
  c: Array.from({ length: 3000 }, (_, k) => `k${k % 7}`),
};
const current = {
  x: Array.from({ length: 2500 }, (_, k) => Math.sin(k) * 10 + 1),
  c: Array.from({ length: 2500 }, (_, k) => `k${k % 9}`),
};

beforeAll(async () => {
  dir = dirs.make();
  const csv = (cols: typeof reference) => `x,c\n${cols.x.map((x, k) => `${x},${cols.c[k]}`).join('\n')}\n`;
  files = { reference: join(dir, 'ref.csv'), current: join(dir, 'cur.csv') };
  await writeFile(files.reference, csv(reference));
  await writeFile(files.current, csv(current));
});

describe('drift on a worker thread', () => {
  it('returns the in-process report for files, with progress along the way', async () => {
    const progress: DriftProgress[] = [];
    const viaWorker = await runDriftInWorker(
      { reference: { file: files.reference }, current: { file: files.current } },
      { onProgress: (p) => progress.push(p) },
    );
    expect(viaWorker).toEqual(await driftCheckFiles(files.reference, files.current));
    expect(progress.map((p) => p.phase)).toContain('load');
    expect(progress.at(-1)).toMatchObject({ phase: 'done', done: 2, total: 2 });
  });

  it('returns the in-process report for in-memory columns', async () => {
    const options = { methods: { x: 'ks' as const } };
    const viaWorker = await runDriftInWorker({
      reference: { columns: reference },
      current: { columns: current },
      options,
    });
    expect(viaWorker).toEqual(await driftCheck(reference, current, options));
  });

  it('brings errors back with their code and message', async () => {
    await expectErrorCode(
      runDriftInWorker({ reference: { file: join(dir, 'nope.csv') }, current: { file: files.current } }),
      'NOT_FOUND',
      /no reference file at .*nope\.csv/,
    );
  });

  it('stops when cancelled and says so', async () => {
    const controller = new AbortController();
    const run = runDriftInWorker(
      { reference: { file: files.reference }, current: { file: files.current } },
      { signal: controller.signal, cancelGraceMs: 5000 },
    );
    controller.abort();
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
