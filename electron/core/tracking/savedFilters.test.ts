import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from '../api.ts';
import type { WorkbenchError } from '../errors.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';

const dirs = tempDirs();
let home: string;
let wb: Workbench;
let api: Api;
const changes: string[][] = [];

beforeAll(async () => {
  home = dirs.make();
  wb = await openWorkbench(home);
  api = createApi(wb);
  wb.events.subscribe((topic, payload) => {
    if (topic === 'changed') changes.push((payload as { entities: string[] }).entities);
  });
});
afterAll(async () => {
  await wb.close();
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'OK', message: '' }),
    (e: WorkbenchError) => ({ code: e.code, message: e.message }),
  );

describe('saved filters', () => {
  it('lists none, then saves, lists in the order saved, replaces by name and removes', async () => {
    expect(await api.call('filters.list', { scope: 'runs' })).toEqual([]);

    const first = await api.call('filters.save', {
      scope: 'runs',
      name: '  good runs ',
      filter: "metrics.acc > 0.9 and params.lr = '0.01'",
    });
    expect(first).toMatchObject({ name: 'good runs', replaced: false });
    await api.call('filters.save', { scope: 'runs', name: 'a failed', filter: "status = 'FAILED'" });
    expect((await api.call('filters.list', { scope: 'runs' })).map((f) => f.name)).toEqual([
      'good runs',
      'a failed',
    ]);

    const again = await api.call('filters.save', {
      scope: 'runs',
      name: 'good runs',
      filter: 'metrics.acc > 0.95',
    });
    expect(again).toMatchObject({ replaced: true, filter: 'metrics.acc > 0.95', createdAt: first.createdAt });
    const list = await api.call('filters.list', { scope: 'runs' });
    expect(list).toEqual([
      { name: 'good runs', filter: 'metrics.acc > 0.95', createdAt: first.createdAt },
      { name: 'a failed', filter: "status = 'FAILED'", createdAt: expect.any(Number) },
    ]);

    expect(await api.call('filters.remove', { scope: 'runs', name: 'a failed' })).toEqual({ removed: true });
    expect(await api.call('filters.remove', { scope: 'runs', name: 'a failed' })).toEqual({ removed: false });
    expect((await api.call('filters.list', { scope: 'runs' })).map((f) => f.name)).toEqual(['good runs']);
    // Each save and each removal that removed something tells other windows; the no-op does not.
    expect(changes.filter((c) => c.includes('saved-filters:runs'))).toHaveLength(4);
  });

  it('refuses a filter the runs search cannot parse, with the parser message, and keeps nothing', async () => {
    const r = await refusal(
      api.call('filters.save', { scope: 'runs', name: 'broken', filter: 'metrics.acc >> 1' }),
    );
    expect(r.code).toBe('INVALID_INPUT');
    expect(r.message).toMatch(
      /^Cannot parse the filter at position 14: expected a number or a quoted string/,
    );
    const quotes = await refusal(
      api.call('filters.save', { scope: 'runs', name: 'broken', filter: 'params.lr = 0.01' }),
    );
    expect(quotes.message).toContain("params.lr compares with a quoted string, e.g. params.lr = '0.01'");
    // A broken filter does not replace a good one under the same name either.
    expect(
      (await refusal(api.call('filters.save', { scope: 'runs', name: 'good runs', filter: 'nope' }))).code,
    ).toBe('INVALID_INPUT');
    expect(await api.call('filters.list', { scope: 'runs' })).toEqual([
      expect.objectContaining({ name: 'good runs', filter: 'metrics.acc > 0.95' }),
    ]);
  });

  it('checks names, filters and scopes at the boundary', async () => {
    const save = (name: string, filter = 'metrics.acc > 0') =>
      refusal(api.call('filters.save', { scope: 'runs', name, filter }));
    expect((await save('x'.repeat(100))).code).toBe('OK');
    expect(await save('x'.repeat(101))).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('at most 100 characters'),
    });
    expect(await save('   ')).toMatchObject({ message: expect.stringContaining('cannot be empty') });
    expect(await save('tab\there')).toMatchObject({ message: expect.stringContaining('control characters') });
    expect(await save('empty', '  ')).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('the filter is empty'),
    });
    expect(await refusal(api.call('filters.list', { scope: 'datasets' as 'runs' }))).toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('keeps saved filters in the store: a workbench opened again on the home lists them', async () => {
    await wb.close();
    wb = await openWorkbench(home);
    api = createApi(wb);
    expect((await api.call('filters.list', { scope: 'runs' })).map((f) => f.name)).toEqual([
      'good runs',
      'x'.repeat(100),
    ]);
  });
});
