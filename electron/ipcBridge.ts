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
export const PICK_FOLDER_CHANNEL = 'mlwb:pickFolder';

/** Shows the system's folder chooser; null when the user cancels. */
export type PickFolder = (title: string) => Promise<string | null>;

function fromOurFrame(event: { senderFrame: { url: string } | null }, appOrigin: string): boolean {
  const url = event.senderFrame?.url ?? '';
  return url === appOrigin || url.startsWith(`${appOrigin}/`);
}

/**
 * The contract's methods, and the one thing only the desktop host can do: let the user choose a
 * folder on this machine (to export a version or save an artifact into), as the page cannot browse
 * the disk itself.
 */
export function registerIpc(ipc: IpcMainLike, api: Api, appOrigin: string, pickFolder?: PickFolder): void {
  ipc.handle(INVOKE_CHANNEL, async (event, method, params): Promise<WireReply> => {
    if (!fromOurFrame(event, appOrigin)) {
      return { error: { code: 'INVALID_INPUT', message: 'IPC from an unknown frame was refused.' } };
    }
    try {
      return { result: await api.invoke(String(method), params) };
    } catch (err) {
      return { error: toWireError(err) };
    }
  });
  if (!pickFolder) return;
  ipc.handle(PICK_FOLDER_CHANNEL, async (event, title): Promise<WireReply> => {
    if (!fromOurFrame(event, appOrigin)) {
      return { error: { code: 'INVALID_INPUT', message: 'IPC from an unknown frame was refused.' } };
    }
    try {
      return {
        result: await pickFolder(typeof title === 'string' ? title.slice(0, 200) : 'Choose a folder'),
      };
    } catch (err) {
      return { error: toWireError(err) };
    }
  });
}
