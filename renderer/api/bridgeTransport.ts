/**
 * Electron: the preload's `window.mlwb` object. Replies arrive as `{result}` or `{error}` (the
 * wire shape), events as `{topic, payload}` frames. Dropped files are never uploaded: core reads
 * them where they are, by path.
 */
import { EventFrame, type MethodName } from '../../shared/contract.ts';
import { WireReply } from '../../shared/errors.ts';
import { ApiError, cancelledError } from './apiError.ts';
import type { Frame, PickedSource, Transport } from './transport.ts';

export interface MlwbBridge {
  invoke(method: string, params: unknown): Promise<unknown>;
  subscribe(listener: (frame: unknown) => void): () => void;
  pathForFile(file: File): string;
  pickFolder?(title: string): Promise<unknown>;
}

export function createBridgeTransport(bridge: MlwbBridge): Transport {
  const pick = bridge.pickFolder;
  return {
    kind: 'electron',
    ...(pick && {
      async pickFolder(title: string) {
        const reply = WireReply.safeParse(await pick(title));
        if (!reply.success)
          throw new ApiError('INTERNAL', 'The folder chooser answered something unexpected.');
        if ('error' in reply.data) throw ApiError.fromWire(reply.data.error);
        return typeof reply.data.result === 'string' ? reply.data.result : null;
      },
    }),
    async invoke(method: MethodName, params: unknown, signal?: AbortSignal) {
      if (signal?.aborted) throw cancelledError();
      const reply = WireReply.safeParse(await bridge.invoke(method, params));
      if (!reply.success) throw new ApiError('INTERNAL', `The reply to ${method} was not understood.`);
      if ('error' in reply.data) throw ApiError.fromWire(reply.data.error);
      return reply.data.result;
    },
    subscribe(listener: (frame: Frame) => void) {
      return bridge.subscribe((raw) => {
        const frame = EventFrame.safeParse(raw);
        if (frame.success) listener(frame.data);
      });
    },
    onConnection(listener) {
      listener('live');
      return () => {};
    },
    async stage(source: PickedSource) {
      const paths = source.roots.map((root) => rootPath(bridge.pathForFile(root.file), root.within));
      if (paths.some((p) => p === ''))
        throw new ApiError(
          'INVALID_INPUT',
          'Some of the items have no path on this machine; drop them again.',
        );
      return { paths };
    },
  };
}

/** A folder picker gives files inside the folder: strip their relative path to find the folder. */
function rootPath(filePath: string, within: string | undefined): string {
  if (!within || !filePath) return filePath;
  const sep = filePath.includes('\\') ? '\\' : '/';
  const suffix = within.split('/').join(sep);
  return filePath.endsWith(sep + suffix) ? filePath.slice(0, -(suffix.length + 1)) : '';
}
