/**
 * Every method against SciPy/numpy references (../statistics/fixtures/generate.py), through the
 * drift check so that binning, zero replacement and category ordering are checked along with the
 * formulas; and the default types, methods and verdicts against an independent Python
 * implementation of the rules.
 */
import { describe, expect, it } from 'vitest';
import { type DriftMethod, DriftReport, fromJsonNumber } from '../../../shared/drift.ts';
import { expectClose, type FixtureNumber, readFixture } from '../statistics/fixtures/fixtureFiles.ts';
import { driftCheck } from './driftCheck.ts';

type StatCase = {
  method: DriftMethod;
  label: string;
  numerical: boolean;
  reference: (number | string)[];
  current: (number | string)[];
  statistic: FixtureNumber;
  pValue?: FixtureNumber | null;
};

describe('each method agrees with its SciPy reference', () => {
  const cases = readFixture<StatCase>('statistics.jsonl');
  it.each(cases.map((c) => [`${c.method}: ${c.label}`, c] as const))('%s', async (_label, c) => {
    const report = await driftCheck(
      { x: c.reference },
      { x: c.current },
      { methods: { x: c.method }, columnTypes: { x: c.numerical ? 'numerical' : 'categorical' } },
    );
    const col = report.columns[0]!;
    expect(col.method).toBe(c.method);
    expectClose(fromJsonNumber(col.statistic!), c.statistic, 1e-6, 'statistic', 1e-12);
    if (c.pValue !== undefined && c.pValue !== null)
      expectClose(fromJsonNumber(col.pValue!), c.pValue, 1e-4, 'p-value');
    else expect(col.pValue).toBeNull();
  });
});

type EngineColumn = {
  column: string;
  type: string;
  method: DriftMethod;
  statistic: FixtureNumber;
  pValue: FixtureNumber | null;
  threshold: number;
  drifted: boolean;
  missingShare: number;
};
type EngineCase = {
  label: string;
  reference: Record<string, unknown[]>;
  current: Record<string, unknown[]>;
  methods: Record<string, DriftMethod>;
  expected: { share: number; datasetDrift: boolean; columns: EngineColumn[] };
};

describe('default types, methods and verdicts follow docs/architecture.md §9 (independent Python implementation)', () => {
  const cases = readFixture<EngineCase>('engine.jsonl');
  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const report = await driftCheck(c.reference, c.current, { methods: c.methods });
    expect(() => DriftReport.parse(report)).not.toThrow();
    expect(report.columns.map((col) => col.column)).toEqual(c.expected.columns.map((col) => col.column));
    for (const [k, want] of c.expected.columns.entries()) {
      const got = report.columns[k]!;
      const where = `${c.label} / ${want.column}`;
      expect({ type: got.type, method: got.method, threshold: got.threshold }, where).toEqual({
        type: want.type,
        method: want.method,
        threshold: want.threshold,
      });
      expectClose(fromJsonNumber(got.statistic!), want.statistic, 1e-6, `${where} statistic`, 1e-12);
      if (want.pValue === null) expect(got.pValue, where).toBeNull();
      else expectClose(fromJsonNumber(got.pValue!), want.pValue, 1e-4, `${where} p-value`);
      expect(got.drifted, where).toBe(want.drifted);
      expect(got.missingShare, where).toBeCloseTo(want.missingShare, 12);
    }
    expect(report.share).toBeCloseTo(c.expected.share, 12);
    expect(report.datasetDrift).toBe(c.expected.datasetDrift);
  });
});
