/**
 * IPC handlers written against a tiny IpcMain-like interface, so the bridge is tested without the
 * Electron binary. Replies are `{result}` or `{error}`, so a real code and message survive IPC.
 */
import type { WireReply } from '../shared/errors.ts';
import type { Api } from './core/api.ts';
import { toWireError } from './core/errors.ts';

export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>,
  ): void;
}

export const INVOKE_CHANNEL = 'mlwb:invoke';
export const EVENT_CHANNEL = 'mlwb:event';

export function registerIpc(ipc: IpcMainLike, api: Api, appOrigin: string): void {
  ipc.handle(INVOKE_CHANNEL, async (event, method, params): Promise<WireReply> => {
    const url = event.senderFrame?.url ?? '';
    if (url !== appOrigin && !url.startsWith(`${appOrigin}/`)) {
      return { error: { code: 'INVALID_INPUT', message: 'IPC from an unknown frame was refused.' } };
    }
    try {
      return { result: await api.invoke(String(method), params) };
    } catch (err) {
      return { error: toWireError(err) };
    }
  });
}
