/**
 * Runs an evaluation in a worker thread (DESIGN.md §1: CPU-heavy work off the main thread) and
 * relays its progress; cancelling asks the worker to stop, and terminates it if it has not within
 * a grace period.
 */
import type { WireError } from '../../../shared/errors.ts';
import type { EvaluationProgress, EvaluationRequest, EvaluationResult } from '../../../shared/evaluation.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { startWorker, workerUrl } from '../workerThreads.ts';
import type { EvaluationContext } from './evaluateModel.ts';

export interface EvaluationWorkerData {
  request: EvaluationRequest;
  options: Pick<EvaluationContext, 'batchRows' | 'tempDir' | 'memoryLimit'>;
}

export type EvaluationWorkerMessage =
  | { type: 'progress'; progress: EvaluationProgress }
  | { type: 'result'; result: EvaluationResult }
  | { type: 'error'; error: WireError };

export interface RunEvaluationOptions extends EvaluationContext {
  workerUrl?: URL;
  /** How long a cancelled worker may take to stop before it is terminated. */
  cancelGraceMs?: number;
}

export function evaluateModelInWorker(
  request: EvaluationRequest,
  options: RunEvaluationOptions = {},
): Promise<EvaluationResult> {
  if (options.signal?.aborted) return Promise.reject(cancelled('The evaluation was cancelled.'));
  const data: EvaluationWorkerData = {
    request,
    options: { batchRows: options.batchRows, tempDir: options.tempDir, memoryLimit: options.memoryLimit },
  };
  const worker = startWorker(options.workerUrl ?? workerUrl(import.meta.url, 'evaluationWorker'), {
    workerData: data,
  });
  return new Promise<EvaluationResult>((resolve, reject) => {
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
        () => finish(() => reject(cancelled('The evaluation was cancelled.'))),
        options.cancelGraceMs ?? 2000,
      );
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: EvaluationWorkerMessage) => {
      if (msg.type === 'progress') options.progress?.(msg.progress);
      else if (msg.type === 'result') finish(() => resolve(msg.result));
      else finish(() => reject(new WorkbenchError(msg.error.code, msg.error.message, msg.error.details)));
    });
    worker.on('error', (err) =>
      finish(() => reject(new WorkbenchError('INTERNAL', `The evaluation worker failed: ${err.message}`))),
    );
    worker.on('exit', (code) =>
      finish(() =>
        reject(
          new WorkbenchError(
            'INTERNAL',
            `The evaluation worker stopped (exit code ${code}) before reporting.`,
          ),
        ),
      ),
    );
  });
}
