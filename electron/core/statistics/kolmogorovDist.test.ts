import { describe, it } from 'vitest';
import { expectClose, type FixtureNumber, readFixture } from './fixtures/fixtureFiles.ts';
import { chi2Sf, normalSf } from './gammaDist.ts';
import { kstwoSf } from './kolmogorovDist.ts';

describe('kstwo.sf matches SciPy on every branch of its algorithm selection', () => {
  const cases = readFixture<{ n: number; x: number; sf: FixtureNumber }>('kstwo.jsonl');
  it.each(cases.map((c) => [`n=${c.n} x=${c.x}`, c] as const))('%s', (_label, c) => {
    expectClose(kstwoSf(c.x, c.n), c.sf, 1e-6, `kstwo.sf(${c.x}, ${c.n})`);
  });
});

describe('chi-square and normal tails match SciPy', () => {
  type Row = { df?: number; x?: number; normal?: number; sf: FixtureNumber };
  const rows = readFixture<Row>('distributions.jsonl');
  it('chi2.sf across degrees of freedom, from the body to 1e-200', () => {
    for (const r of rows.filter((r) => r.df !== undefined)) {
      expectClose(chi2Sf(r.x!, r.df!), r.sf, 1e-9, `chi2.sf(${r.x}, ${r.df})`);
    }
  });
  it('norm.sf into the far tail', () => {
    for (const r of rows.filter((r) => r.normal !== undefined)) {
      expectClose(normalSf(r.normal!), r.sf, 1e-12, `norm.sf(${r.normal})`);
    }
  });
});
