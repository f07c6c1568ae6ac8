import { describe, expect, it } from 'vitest';
import { DatasetName, NewDatasetName } from './datasets.ts';

describe('NewDatasetName', () => {
  it('accepts ordinary names in any script', () => {
    for (const name of [
      'iris',
      'sales-2024_q1',
      'données',
      '売上',
      'a b',
      'emoji 😀',
      'dev 👩\u200D💻',
      'می\u200Cخواهم',
    ]) {
      expect(NewDatasetName.safeParse(name).success, name).toBe(true);
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
      const r = NewDatasetName.safeParse(name);
      expect(r.success, JSON.stringify(name)).toBe(false);
    }
    expect(NewDatasetName.safeParse('zero\u200Bwidth').error?.issues[0]?.message).toMatch(/invisible/);
    // Names made before the rule stay reachable for lookups.
    expect(DatasetName.safeParse('zero\u200Bwidth').success).toBe(true);
  });
});
