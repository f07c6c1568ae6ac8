import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from '../api.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { openWorkbench, type Workbench } from '../workbench.ts';

const dirs = tempDirs();
let wb: Workbench;
let api: Api;

beforeAll(async () => {
  wb = await openWorkbench(dirs.make());
  api = createApi(wb);
});
afterAll(async () => {
  await wb.close();
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code,
  );

describe('named engines', () => {
  it('lists the default engine first, adds, validates and removes named ones', async () => {
    expect((await api.call('engines.list', {}))[0]).toMatchObject({ name: 'default', isDefault: true });
    // A loopback port where nothing listens: added (a machine may still be being set up), not reachable.
    const added = await api.call('engines.add', { name: 'nowhere', host: 'tcp://127.0.0.1:1' });
    expect(added.status.reachable).toBe(false);
    expect(added.status.error).toMatch(/No Docker engine answers at tcp:\/\/127\.0\.0\.1:1/);
    expect((await api.call('engines.list', {})).map((e) => e.name)).toEqual(['default', 'nowhere']);
    expect(await code(api.call('engines.add', { name: 'nowhere', host: 'tcp://127.0.0.1:2' }))).toBe(
      'CONFLICT',
    );
    expect(await code(api.call('engines.add', { name: 'default', host: 'tcp://127.0.0.1:2' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await code(api.call('engines.add', { name: 'bad name', host: 'tcp://127.0.0.1:2' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await code(api.call('engines.add', { name: 'x', host: 'ftp://nope' }))).toBe('INVALID_INPUT');
    expect(await code(api.call('engine.status', { name: 'missing' }))).toBe('NOT_FOUND');
  });

  it('refuses to start a run on an engine that does not answer, fast, with ENGINE_UNAVAILABLE', async () => {
    const recipe = dirs.make();
    fs.writeFileSync(path.join(recipe, 'recipe.yaml'), 'name: r\nimage: some/image:1\ncommand: ["true"]\n');
    const t = Date.now();
    expect(await code(api.call('runs.start', { recipe, engine: 'nowhere' }))).toBe('ENGINE_UNAVAILABLE');
    expect(Date.now() - t).toBeLessThan(5000);
    expect((await api.call('runs.search', {})).runs).toEqual([]);
    expect((await api.call('engines.remove', { name: 'nowhere' })).removed).toBe(true);
    expect(await code(api.call('runs.start', { recipe, engine: 'nowhere' }))).toBe('NOT_FOUND');
  });
});
