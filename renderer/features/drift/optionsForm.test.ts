import { describe, expect, it } from 'vitest';
import type { DriftOptionsPatch } from '../../../shared/drift.ts';
import { describePatch, emptyForm, formFromPatch, patchFromForm, samePatch } from './optionsForm.ts';

describe('drift options form', () => {
  it('round-trips a patch through the form', () => {
    const patches: DriftOptionsPatch[] = [
      {},
      { columns: ['a', 'b c'], method: 'psi', threshold: 0.2, driftShare: 0.3 },
      {
        missingShareJump: 0.1,
        methods: { age: 'ks' },
        thresholds: { age: 0.01, city: 0.5 },
        columnTypes: { city: 'categorical' },
      },
    ];
    for (const p of patches) {
      const { patch, errors } = patchFromForm(formFromPatch(p));
      expect(errors).toEqual({});
      expect(samePatch(patch, p), JSON.stringify(p)).toBe(true);
    }
  });

  it('leaves empty fields out, so a saved preset holds only what was chosen', () => {
    expect(patchFromForm(emptyForm)).toEqual({ patch: {}, errors: {} });
    expect(patchFromForm({ ...emptyForm, columns: ' a, ,b, a ' }).patch).toEqual({ columns: ['a', 'b'] });
  });

  it('names each bad field', () => {
    const { errors } = patchFromForm({
      ...emptyForm,
      threshold: '-1',
      driftShare: '2',
      overrides: [
        { column: '', type: '', method: 'ks', threshold: '' },
        { column: 'x', type: '', method: '', threshold: 'abc' },
        { column: 'y', type: '', method: 'psi', threshold: '' },
        { column: 'y', type: 'numerical', method: '', threshold: '' },
      ],
    });
    expect(errors.threshold).toMatch(/0 or more/);
    expect(errors.driftShare).toMatch(/between 0 and 1/);
    expect(errors.overrides).toEqual({
      0: 'Name the column this override is for.',
      1: 'The threshold is a number of 0 or more.',
      3: 'y has another override above; keep one.',
    });
  });

  it('describes a patch in one line', () => {
    expect(describePatch({})).toBe('defaults');
    expect(describePatch({ columns: ['a'], method: 'psi', thresholds: { a: 1 }, methods: { a: 'ks' } })).toBe(
      '1 column · psi · 1 column override',
    );
  });
});
