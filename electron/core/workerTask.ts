/**
 * One task in a worker thread, the protocol the drift and evaluation workers speak: the request in
 * `workerData`, then `progress` messages and exactly one result or `error` message back; a
 * `cancel` message asks the worker to stop, and a worker that has not within a grace period is
 * terminated. The worker is terminated once the task settles, whichever way.
 */
import type { WireError } from '../../shared/errors.ts';
import { cancelled, WorkbenchError } from './errors.ts';
import { startWorker } from './workerThreads.ts';

export type WorkerTaskMessage<P> =
  | { type: 'progress'; progress: P }
  | { type: 'result'; [key: string]: unknown }
  | { type: 'error'; error: WireError };

export interface WorkerTaskOptions<P> {
  signal?: AbortSignal;
  onProgress?: (progress: P) => void;
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs?: number;
}

export function runWorkerTask<P, R>(
  url: URL,
  workerData: unknown,
  task: {
    /** What it is, in messages: "drift check", "evaluation". */
    what: string;
    /** The result carried by the worker's `result` message. */
    resultOf(msg: { type: 'result'; [key: string]: unknown }): R;
  },
  options: WorkerTaskOptions<P> = {},
): Promise<R> {
  const stopped = () => cancelled(`The ${task.what} was cancelled.`);
  if (options.signal?.aborted) return Promise.reject(stopped());
  const worker = startWorker(url, { workerData });
  return new Promise<R>((resolve, reject) => {
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
      killTimer = setTimeout(() => finish(() => reject(stopped())), options.cancelGraceMs ?? 2000);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: WorkerTaskMessage<P>) => {
      if (msg.type === 'progress') options.onProgress?.(msg.progress);
      else if (msg.type === 'result') finish(() => resolve(task.resultOf(msg)));
      else finish(() => reject(new WorkbenchError(msg.error.code, msg.error.message, msg.error.details)));
    });
    worker.on('error', (err) =>
      finish(() => reject(new WorkbenchError('INTERNAL', `The ${task.what} worker failed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new WorkbenchError(
            'INTERNAL',
            `The ${task.what} worker stopped (exit code ${code}) before reporting.`,
          ),
        ),
      ),
    );
  });
}
