import type { DriftOptionsInput, DriftProgress, DriftReport } from '../../../shared/drift.ts';
import type { WireError } from '../../../shared/errors.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { startWorker, workerUrl } from '../workerThreads.ts';
import type { DriftFile } from './driftSource.ts';
import type { ColumnSet } from './memoryColumns.ts';

export type DriftInput = { file: DriftFile | string } | { columns: ColumnSet };

export interface DriftRequest {
  reference: DriftInput;
  current: DriftInput;
  options?: DriftOptionsInput;
  /** DuckDB's memory cap for file inputs, e.g. '1GB'. */
  memoryLimit?: string;
}

export type DriftWorkerMessage =
  | { type: 'progress'; progress: DriftProgress }
  | { type: 'result'; report: DriftReport }
  | { type: 'error'; error: WireError };

export interface RunDriftOptions {
  onProgress?: (progress: DriftProgress) => void;
  signal?: AbortSignal;
  workerUrl?: URL;
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs?: number;
}

export function defaultWorkerUrl(): URL {
  return workerUrl(import.meta.url, 'driftWorker');
}

export function runDriftInWorker(request: DriftRequest, options: RunDriftOptions = {}): Promise<DriftReport> {
  if (options.signal?.aborted) return Promise.reject(cancelled('The drift check was cancelled.'));
  const worker = startWorker(options.workerUrl ?? defaultWorkerUrl(), { workerData: request });
  return new Promise<DriftReport>((resolve, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      worker.postMessage({ type: 'cancel' });
      killTimer = setTimeout(
        () => finish(() => reject(cancelled('The drift check was cancelled.'))),
        options.cancelGraceMs ?? 2000,
      );
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: DriftWorkerMessage) => {
      if (msg.type === 'progress') options.onProgress?.(msg.progress);
      else if (msg.type === 'result') finish(() => resolve(msg.report));
      else finish(() => reject(new WorkbenchError(msg.error.code, msg.error.message, msg.error.details)));
    });
    worker.on('error', (err) =>
      finish(() => reject(new WorkbenchError('INTERNAL', `The drift worker failed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new WorkbenchError('INTERNAL', `The drift worker stopped (exit code ${code}) before reporting.`),
        ),
      ),
    );
  });
}
