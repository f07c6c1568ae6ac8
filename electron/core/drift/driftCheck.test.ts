/** The engine's promises about awkward input: reported, never crashed on, and no NaN in the report. */
import { describe, expect, it } from 'vitest';
import { DriftReport } from '../../../shared/drift.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { driftCheck } from './driftCheck.ts';

const range = (n: number, f: (k: number) => unknown) => Array.from({ length: n }, (_, k) => f(k));

/**
 * Fails on any NaN or ±Infinity left as a number anywhere in the report (JSON.stringify would turn
 * it into null without a word), and on anything the contract's schema rejects.
 */
function expectJsonClean(report: unknown, path = 'report') {
  if (typeof report === 'number') expect(Number.isFinite(report), `${path} = ${report}`).toBe(true);
  else if (Array.isArray(report)) {
    for (const [k, v] of report.entries()) expectJsonClean(v, `${path}[${k}]`);
  } else if (report && typeof report === 'object') {
    for (const [k, v] of Object.entries(report)) expectJsonClean(v, `${path}.${k}`);
  }
  if (path === 'report') expect(() => DriftReport.parse(report)).not.toThrow();
}

describe('drift check on awkward input', () => {
  it('refuses empty current data with a message that says what to do', async () => {
    await expectErrorCode(
      driftCheck({ a: [1, 2, 3] }, { a: [] }),
      'INVALID_INPUT',
      /current data has no rows.*at least one row/,
    );
  });

  it('refuses an empty reference the same way', async () => {
    await expectErrorCode(driftCheck({ a: [] }, { a: [1] }), 'INVALID_INPUT', /reference data has no rows/);
  });

  it('skips a column that is entirely missing in current, reports its missing share and still tests the rest', async () => {
    const report = await driftCheck(
      { a: range(50, (k) => k % 7), b: range(50, (k) => `s${k % 3}`) },
      { a: range(40, () => null), b: range(40, (k) => `s${k % 3}`) },
    );
    const a = report.columns.find((c) => c.column === 'a')!;
    expect(a.skipped).toMatch(/no usable current values: all 40 row\(s\) are missing/);
    expect(a).toMatchObject({
      statistic: null,
      pValue: null,
      drifted: false,
      missingShare: 1,
      referenceMissingShare: 0,
    });
    expect(report.tested).toBe(1);
    expect(report.schema.missingShareJumps).toEqual([{ column: 'a', reference: 0, current: 1 }]);
    expect(report.warnings.join('\n')).toMatch(/"a" has no usable current values/);
    expectJsonClean(report);
  });

  it('gives p = 1 for one category shared by both sides, under chisquare and z', async () => {
    for (const method of ['chisquare', 'z'] as const) {
      const report = await driftCheck(
        { c: range(30, () => 'only') },
        { c: range(20, () => 'only') },
        { method },
      );
      expect(report.columns[0]).toMatchObject({ method, statistic: 0, pValue: 1, drifted: false });
    }
  });

  it('gives statistic Infinity and p = 0 for categories only in current, and names them', async () => {
    const report = await driftCheck(
      { c: range(60, (k) => ['a', 'b', 'c'][k % 3]) },
      { c: range(60, (k) => ['a', 'b', 'c', 'new1', 'new2'][k % 5]) },
    );
    const col = report.columns[0]!;
    expect(col).toMatchObject({ method: 'chisquare', statistic: 'Infinity', pValue: 0, drifted: true });
    expect(col.newCategories).toEqual(['new1', 'new2']);
    expect(report.schema.newCategories).toEqual([{ column: 'c', values: ['new1', 'new2'], count: 2 }]);
    expect(JSON.parse(JSON.stringify(report)).columns[0].statistic).toBe('Infinity');
    expectJsonClean(report);
  });

  it('handles a constant numerical column on both sides (no drift, no NaN from a zero spread)', async () => {
    for (const method of ['ks', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'hellinger'] as const) {
      const report = await driftCheck({ x: range(200, () => 2.5) }, { x: range(100, () => 2.5) }, { method });
      const col = report.columns[0]!;
      expect(col.statistic, method).toBe(0);
      expect(col.drifted, method).toBe(false);
      expect(col.distribution?.kind).toBe('histogram');
      expectJsonClean(report);
    }
  });

  it('measures a constant reference against a moved current with the 0.001 spread floor', async () => {
    const report = await driftCheck({ x: range(2000, () => 1.5) }, { x: range(2000, () => 1.6) });
    expect(report.columns[0]!.method).toBe('jensenshannon'); // u = 2 over both sides, n > 1000
    const w = await driftCheck(
      { x: range(2000, () => 1.5) },
      { x: range(2000, () => 1.6) },
      { method: 'wasserstein' },
    );
    expect(w.columns[0]!.statistic).toBeCloseTo(0.1 / 0.001, 9);
  });

  it('tests the columns both sides share and reports the others in the schema checks', async () => {
    const report = await driftCheck(
      { keep: range(30, (k) => k * 1.5), gone: range(30, (k) => k) },
      { keep: range(30, (k) => k * 1.5), added: range(30, () => 'x') },
    );
    expect(report.columns.map((c) => c.column)).toEqual(['keep']);
    expect(report.schema.missingColumns).toEqual(['gone']);
    expect(report.schema.newColumns).toEqual(['added']);
    expect(report.warnings.join('\n')).toMatch(/Not in the current data.*"gone"/);
  });

  it('refuses two inputs without a column in common, listing both sets of columns', async () => {
    await expectErrorCode(
      driftCheck({ a: [1] }, { b: [1] }),
      'INVALID_INPUT',
      /no column in common.*reference: "a".*current: "b"/,
    );
  });

  it('keeps a numerical column numerical when current has stray text, and counts the text as invalid', async () => {
    const reference = range(300, (k) => (k % 97) / 3);
    const current: unknown[] = range(300, (k) => (k % 89) / 3);
    current[5] = 'n/a';
    current[17] = 'oops';
    const report = await driftCheck({ x: reference }, { x: current });
    const col = report.columns[0]!;
    expect(col).toMatchObject({ type: 'numerical', method: 'ks', invalid: { reference: 0, current: 2 } });
    expect(col.counts).toEqual({ reference: 300, current: 298 });
    expect(typeof col.pValue).toBe('number');
    expect(report.warnings.join('\n')).toMatch(/"x": 2 current value\(s\) are not finite numbers/);
    expectJsonClean(report);
  });

  it('never lets NaN or Infinity from the data reach the summary', async () => {
    const report = await driftCheck(
      {
        x: [1, 2, Number.NaN, 4, Number.POSITIVE_INFINITY, 6, 7, 8],
        y: ['a', 'b', null, 'a', 'b', 'a', 'b', 'a'],
      },
      {
        x: [Number.NaN, Number.NaN, 3, 4, 5, Number.NEGATIVE_INFINITY, 7, 9],
        y: [null, null, null, 'a', 'b', 'b', 'b', 'b'],
      },
    );
    const x = report.columns.find((c) => c.column === 'x')!;
    expect(x.referenceMissingShare).toBeCloseTo(1 / 8, 12);
    expect(x.missingShare).toBeCloseTo(2 / 8, 12);
    expect(x.invalid).toEqual({ reference: 1, current: 1 });
    expect(Number.isFinite(report.share)).toBe(true);
    expectJsonClean(report);
  });

  it('follows per-column methods, thresholds and types, and the drift share', async () => {
    const reference = {
      a: range(500, (k) => k % 50),
      b: range(500, (k) => k % 4),
      c: range(500, (k) => (k % 10) / 10),
    };
    const current = {
      a: range(500, (k) => (k % 50) + 5),
      b: range(500, (k) => k % 4),
      c: range(500, (k) => (k % 10) / 10),
    };
    const report = await driftCheck(reference, current, {
      methods: { a: 'psi' },
      thresholds: { a: 5 },
      columnTypes: { b: 'numerical' },
      driftShare: 0.3,
    });
    const [a, b, c] = report.columns;
    expect(a).toMatchObject({ method: 'psi', threshold: 5 });
    expect(a!.drifted).toBe((a!.statistic as number) >= 5);
    expect(b).toMatchObject({ type: 'numerical', method: 'chisquare' }); // u = 4, n ≤ 1000
    expect(c).toMatchObject({ type: 'numerical', method: 'ks', drifted: false });
    expect(report.driftShare).toBe(0.3);
    expect(report.datasetDrift).toBe(report.share >= 0.3);
  });

  it('checks only the columns asked for', async () => {
    const report = await driftCheck(
      { a: [1, 2, 3], b: [1, 2, 3] },
      { a: [1, 2, 3], b: [3, 2, 1] },
      { columns: ['b'] },
    );
    expect(report.columns.map((c) => c.column)).toEqual(['b']);
  });

  it('refuses options that name a column neither side has', async () => {
    await expectErrorCode(
      driftCheck({ a: [1] }, { a: [1] }, { methods: { typo: 'ks' } }),
      'INVALID_INPUT',
      /"typo" \(named in the method options\)/,
    );
    await expectErrorCode(
      driftCheck({ a: [1] }, { a: [1] }, { columns: ['nope'] }),
      'INVALID_INPUT',
      /"nope"/,
    );
  });

  it('refuses a numbers-only method named for a text column, but only skips it under a global method', async () => {
    await expectErrorCode(
      driftCheck({ s: ['a', 'b'] }, { s: ['a', 'c'] }, { methods: { s: 'ks' } }),
      'INVALID_INPUT',
      /holds text, and ks needs numbers/,
    );
    const report = await driftCheck(
      { s: ['a', 'b'], n: [1.5, 2.5] },
      { s: ['a', 'c'], n: [1.5, 3.5] },
      { method: 'wasserstein' },
    );
    expect(report.columns[0]!.skipped).toMatch(/wasserstein needs numbers/);
    expect(report.columns[1]!.skipped).toBeNull();
    expect(report.tested).toBe(1);
  });

  it('reports a storage type change between the sides', async () => {
    const report = await driftCheck({ x: [1, 2, 3, 4] }, { x: [1.5, 2.5, 3.5, 4.5] });
    expect(report.schema.typeChanges).toEqual([{ column: 'x', from: 'integer', to: 'float' }]);
    expect(report.columns[0]!.type).toBe('numerical');
  });

  it('treats small-cardinality integers as categorical and wider ones as numerical (≤ 10 distinct over both sides)', async () => {
    const ten = await driftCheck({ i: range(100, (k) => k % 10) }, { i: range(100, (k) => k % 10) });
    const eleven = await driftCheck({ i: range(100, (k) => k % 10) }, { i: range(100, (k) => k % 11) });
    expect(ten.columns[0]!.type).toBe('categorical');
    expect(eleven.columns[0]!.type).toBe('numerical');
  });

  it('caps plotted categories at 50 and sums the rest', async () => {
    const report = await driftCheck(
      { c: range(600, (k) => `v${k % 120}`) },
      { c: range(600, (k) => `v${k % 120}`) },
    );
    const dist = report.columns[0]!.distribution!;
    expect(dist.kind).toBe('categories');
    if (dist.kind !== 'categories') return;
    expect(dist.categories).toHaveLength(50);
    expect(dist.other.categories).toBe(70);
    expect(dist.categories.reduce((s, c) => s + c.reference, 0) + dist.other.reference).toBe(600);
  });

  it('reports progress per column and stops when cancelled', async () => {
    const seen: number[] = [];
    await driftCheck({ a: [1], b: [2] }, { a: [1], b: [2] }, {}, { onProgress: (p) => seen.push(p.done) });
    expect(seen.at(-1)).toBe(2);
    const controller = new AbortController();
    controller.abort();
    await expectErrorCode(driftCheck({ a: [1] }, { a: [1] }, {}, { signal: controller.signal }), 'CANCELLED');
  });
});
