/**
 * How the renderer reaches core. One interface, two implementations: HTTP + WebSocket in browser
 * mode (`mlwb ui`), and the preload bridge (`window.mlwb`) in Electron. Everything above this file
 * is the same in both.
 */
import type { z } from 'zod';
import type { EventFrame, MethodName } from '../../shared/contract.ts';
import { createBridgeTransport, type MlwbBridge } from './bridgeTransport.ts';
import { createHttpTransport } from './httpTransport.ts';

export type Frame = z.infer<typeof EventFrame>;
export type ConnectionState = 'connecting' | 'live' | 'offline';

/** Files the user dropped or picked, as the two transports need them. */
export interface PickedSource {
  /** Every file with its path inside the new version (browser mode uploads these). */
  files: { path: string; file: File }[];
  /**
   * The top-level items as picked. Electron passes their paths to core instead of uploading.
   * `within` is set when only a file inside the item is known (a folder picker): the item's path
   * is that file's path without `within`.
   */
  roots: { name: string; kind: 'file' | 'folder'; file: File; within?: string }[];
  /** Top-level folders that turned out to hold no file (an error to report before any upload). */
  emptyFolders: string[];
}

export interface StageProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** What `datasets.add` needs to find the content: an upload session or paths on core's machine. */
export type StagedSource = { upload: string } | { paths: string[] };

export interface Transport {
  readonly kind: 'browser' | 'electron';
  /** Resolves with the method's unvalidated result; rejects with an ApiError. */
  invoke(method: MethodName, params: unknown, signal?: AbortSignal): Promise<unknown>;
  /** Event frames as they arrive; returns the unsubscribe function. */
  subscribe(listener: (frame: Frame) => void): () => void;
  /** The event stream's state; a reconnect means events may have been missed. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Makes picked files reachable by core: uploads them, or resolves their paths. */
  stage(
    source: PickedSource,
    opts: { signal: AbortSignal; onProgress(p: StageProgress): void },
  ): Promise<StagedSource>;
  /**
   * The system's folder chooser (Electron only: a page in a browser cannot browse the disk of the
   * machine core runs on). Resolves with the folder, or null when the user cancels.
   */
  pickFolder?(title: string): Promise<string | null>;
}

declare global {
  interface Window {
    mlwb?: MlwbBridge;
  }
}

export function createTransport(): Transport {
  return window.mlwb ? createBridgeTransport(window.mlwb) : createHttpTransport();
}
