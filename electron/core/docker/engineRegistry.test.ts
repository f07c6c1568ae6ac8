import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const dirs = tempDirs();
const app = testWorkbench();

describe('named engines', () => {
  it('lists the default engine first, adds, validates and removes named ones', async () => {
    expect((await app.api.call('engines.list', {}))[0]).toMatchObject({ name: 'default', isDefault: true });
    // A loopback port where nothing listens: added (a machine may still be being set up), not reachable.
    const added = await app.api.call('engines.add', { name: 'nowhere', host: 'tcp://127.0.0.1:1' });
    expect(added.status.reachable).toBe(false);
    expect(added.status.error).toMatch(/No Docker engine answers at tcp:\/\/127\.0\.0\.1:1/);
    expect((await app.api.call('engines.list', {})).map((e) => e.name)).toEqual(['default', 'nowhere']);
    await expectErrorCode(
      app.api.call('engines.add', { name: 'nowhere', host: 'tcp://127.0.0.1:2' }),
      'CONFLICT',
    );
    await expectErrorCode(
      app.api.call('engines.add', { name: 'default', host: 'tcp://127.0.0.1:2' }),
      'INVALID_INPUT',
    );
    await expectErrorCode(
      app.api.call('engines.add', { name: 'bad name', host: 'tcp://127.0.0.1:2' }),
      'INVALID_INPUT',
    );
    await expectErrorCode(app.api.call('engines.add', { name: 'x', host: 'ftp://nope' }), 'INVALID_INPUT');
    await expectErrorCode(app.api.call('engine.status', { name: 'missing' }), 'NOT_FOUND');
  });

  it('refuses to start a run on an engine that does not answer, fast, with ENGINE_UNAVAILABLE', async () => {
    const recipe = dirs.make();
    fs.writeFileSync(path.join(recipe, 'recipe.yaml'), 'name: r\nimage: some/image:1\ncommand: ["true"]\n');
    const t = Date.now();
    await expectErrorCode(app.api.call('runs.start', { recipe, engine: 'nowhere' }), 'ENGINE_UNAVAILABLE');
    expect(Date.now() - t).toBeLessThan(5000);
    expect((await app.api.call('runs.search', {})).runs).toEqual([]);
    expect((await app.api.call('engines.remove', { name: 'nowhere' })).removed).toBe(true);
    await expectErrorCode(app.api.call('runs.start', { recipe, engine: 'nowhere' }), 'NOT_FOUND');
  });
});
