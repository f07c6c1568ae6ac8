import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from './core/api.ts';
import { tempDirs } from './core/testing/tempDirs.ts';
import { openWorkbench, type Workbench } from './core/workbench.ts';
import { INVOKE_CHANNEL, type IpcMainLike, registerIpc } from './ipcBridge.ts';

const dirs = tempDirs();
let wb: Workbench;
type Listener = Parameters<IpcMainLike['handle']>[1];
const handlers = new Map<string, Listener>();

beforeAll(async () => {
  wb = await openWorkbench(dirs.make(), { mode: 'electron' });
  registerIpc({ handle: (channel, l) => handlers.set(channel, l) }, createApi(wb), 'app://workbench');
});
afterAll(async () => {
  await wb.close();
});

const call = (url: string | null, method: string, params: unknown) =>
  handlers.get(INVOKE_CHANNEL)!(
    url === null ? { senderFrame: null } : { senderFrame: { url } },
    method,
    params,
  );

describe('IPC bridge (Electron main, without the binary)', () => {
  it('answers our own frames with {result}', async () => {
    expect(await call('app://workbench/index.html', 'datasets.list', {})).toEqual({ result: [] });
    const info = (await call('app://workbench/index.html', 'app.info', {})) as { result: { mode: string } };
    expect(info.result.mode).toBe('electron');
  });

  it('turns failures into {error} with a code', async () => {
    expect(await call('app://workbench/', 'datasets.versions', { name: 'missing' })).toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    expect(await call('app://workbench/', 'datasets.versions', { name: '' })).toMatchObject({
      error: { code: 'INVALID_INPUT' },
    });
  });

  it('refuses frames from any other origin', async () => {
    for (const url of [null, 'https://evil.example/', 'app://workbench.evil/', 'file:///etc/passwd']) {
      expect(await call(url, 'datasets.list', {})).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    }
  });
});
