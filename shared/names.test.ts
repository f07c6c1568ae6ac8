import { describe, expect, it } from 'vitest';
import { DatasetName } from './datasets.ts';

describe('DatasetName', () => {
  it('accepts ordinary names in any script', () => {
    for (const name of ['iris', 'sales-2024_q1', 'données', '売上', 'a b', 'emoji 😀']) {
      expect(DatasetName.safeParse(name).success, name).toBe(true);
    }
  });

  it('refuses invisible, direction-changing and broken characters', () => {
    for (const name of [
      'evil\u202Etxt.exe',
      'zero\u200Bwidth',
      'bom\uFEFF',
      'lone\uD800',
      'line\u2028sep',
      'nul\0',
    ]) {
      const r = DatasetName.safeParse(name);
      expect(r.success, JSON.stringify(name)).toBe(false);
    }
    expect(DatasetName.safeParse('zero\u200Bwidth').error?.issues[0]?.message).toMatch(/invisible/);
  });
});
