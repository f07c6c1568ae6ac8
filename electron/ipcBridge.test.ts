import { beforeAll, describe, expect, it } from 'vitest';
import { testWorkbench } from './core/testing/testWorkbench.ts';
import { INVOKE_CHANNEL, type IpcMainLike, PICK_FOLDER_CHANNEL, registerIpc } from './ipcBridge.ts';

const app = testWorkbench({ mode: 'electron' });
type Listener = Parameters<IpcMainLike['handle']>[1];
const handlers = new Map<string, Listener>();
const asked: string[] = [];

beforeAll(() => {
  registerIpc(
    { handle: (channel, l) => handlers.set(channel, l) },
    app.api,
    'app://workbench',
    async (title) => {
      asked.push(title);
      if (title === 'fail') throw new Error('no display');
      return title === 'cancel' ? null : '/home/me/exports';
    },
  );
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

describe('folder chooser over IPC', () => {
  const pick = (url: string | null, title: unknown) =>
    handlers.get(PICK_FOLDER_CHANNEL)!(
      url === null ? { senderFrame: null } : { senderFrame: { url } },
      title,
    );

  it('answers our frames with the chosen folder, or null when cancelled', async () => {
    expect(await pick('app://workbench/index.html', 'Export to folder')).toEqual({
      result: '/home/me/exports',
    });
    expect(await pick('app://workbench/', 'cancel')).toEqual({ result: null });
    expect(await pick('app://workbench/', 'fail')).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(asked).toEqual(['Export to folder', 'cancel', 'fail']);
  });

  it('never opens a chooser for another frame', async () => {
    expect(await pick('https://evil.example/', 'x')).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(await pick(null, 'x')).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(asked).not.toContain('x');
  });
});
