import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { parseDatasetSpec } from './driftInputs.ts';

const dirs = tempDirs();
const app = testWorkbench();
let src: string;

/** Deterministic pseudo-random numbers, so the data (and whether it drifts) never changes. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function writeCsv(file: string, rows: number, shift: number, seed: number) {
  const r = lcg(seed);
  const lines = ['x,color,flag'];
  for (let i = 0; i < rows; i++) {
    lines.push(`${(r() + shift).toFixed(4)},${['red', 'green', 'blue'][Math.floor(r() * 3)]},${r() < 0.5}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

beforeAll(() => {
  src = dirs.make();
  writeCsv(path.join(src, 'ref.csv'), 500, 0, 1);
  writeCsv(path.join(src, 'same.csv'), 500, 0, 2);
  writeCsv(path.join(src, 'shifted.csv'), 500, 0.5, 3);
});

describe('drift checks through the API', () => {
  it('parses dataset sources', () => {
    expect(parseDatasetSpec('dataset:iris')).toEqual({ name: 'iris' });
    expect(parseDatasetSpec('dataset:iris@3')).toEqual({ name: 'iris', version: 3, path: undefined });
    expect(parseDatasetSpec('dataset:iris@3:a/b.csv')).toEqual({ name: 'iris', version: 3, path: 'a/b.csv' });
    expect(parseDatasetSpec('dataset:iris:b.csv')).toEqual({ name: 'iris', path: 'b.csv' });
    expect(() => parseDatasetSpec('dataset:iris@x')).toThrow(/version number/);
  });

  it('finds drift in shifted data, none in same-distribution data, and stores both reports', async () => {
    const drifted = await app.api.call('drift.check', {
      reference: path.join(src, 'ref.csv'),
      current: path.join(src, 'shifted.csv'),
    });
    expect(drifted.report.datasetDrift).toBe(false); // only x drifts: 1 of 3 columns < 0.5
    const x = drifted.report.columns.find((c) => c.column === 'x')!;
    expect(x).toMatchObject({ type: 'numerical', method: 'ks', drifted: true });
    const calm = await app.api.call('drift.check', {
      reference: path.join(src, 'ref.csv'),
      current: path.join(src, 'same.csv'),
      options: { driftShare: 0.3 },
    });
    expect(calm.report.columns.find((c) => c.column === 'x')!.drifted).toBe(false);
    const reports = await app.api.call('drift.reports', {});
    expect(reports.map((r) => r.id)).toEqual([calm.id, drifted.id]);
    // Each input is identified by the SHA-256 of its content, hashed while the check ran.
    const digestOf = (f: string) =>
      createHash('sha256')
        .update(fs.readFileSync(path.join(src, f)))
        .digest('hex');
    expect(reports[1]!.reference.sha256).toBe(digestOf('ref.csv'));
    expect(reports[1]!.current.sha256).toBe(digestOf('shifted.csv'));
    const back = await app.api.call('drift.report', { id: drifted.id });
    expect(back.report).toEqual(drifted.report);
    const cmp = await app.api.call('drift.compare', { a: drifted.id, b: calm.id });
    expect(cmp.columns.find((c) => c.column === 'x')).toMatchObject({
      a: { drifted: true },
      b: { drifted: false },
    });
  });

  it('reads dataset versions, lists reports per dataset, and layers presets under explicit options', async () => {
    await app.api.call('datasets.add', { name: 'traffic', paths: [path.join(src, 'ref.csv')] });
    await app.api.call('datasets.add', { name: 'traffic', paths: [path.join(src, 'shifted.csv')] });
    await app.api.call('drift.presets.save', {
      name: 'psi-all',
      options: { method: 'psi', driftShare: 0.3 },
    });
    const r = await app.api.call('drift.check', {
      reference: 'dataset:traffic@1',
      current: 'dataset:traffic@2:shifted.csv',
      preset: 'psi-all',
      options: { methods: { flag: 'z' } },
    });
    expect(r.reference).toMatchObject({ kind: 'dataset', dataset: 'traffic', version: 1, path: 'ref.csv' });
    expect(r.report.columns.find((c) => c.column === 'x')!.method).toBe('psi');
    expect(r.report.columns.find((c) => c.column === 'flag')!.method).toBe('z');
    expect(r.report.driftShare).toBe(0.3);
    expect(r.report.datasetDrift).toBe(true);
    expect((await app.api.call('drift.reports', { dataset: 'traffic' })).map((x) => x.id)).toEqual([r.id]);
    expect(await app.api.call('drift.reports', { dataset: 'other' })).toEqual([]);
    expect((await app.api.call('drift.presets.delete', { name: 'psi-all' })).deleted).toBe(true);
  });

  it('fails clearly on unreadable inputs, unknown presets and deployments', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e) => e.code as string,
      );
    expect(
      await code(app.api.call('drift.check', { reference: '/nope.csv', current: path.join(src, 'ref.csv') })),
    ).toBe('NOT_FOUND');
    expect(
      await code(
        app.api.call('drift.check', {
          reference: path.join(src, 'ref.csv'),
          current: path.join(src, 'ref.csv'),
          preset: 'nope',
        }),
      ),
    ).toBe('NOT_FOUND');
    // A deployment that does not exist (deployments' traffic: monitoring/monitoring.test.ts).
    await expectErrorCode(
      app.api.call('drift.check', { reference: 'deployment:x', current: path.join(src, 'ref.csv') }),
      'NOT_FOUND',
      /No deployment named x/,
    );
    expect(
      await code(
        app.api.call('drift.check', { reference: 'dataset:missing', current: path.join(src, 'ref.csv') }),
      ),
    ).toBe('NOT_FOUND');
  });
});
