/**
 * Runs an evaluation in a worker thread (DESIGN.md §1: CPU-heavy work off the main thread) and
 * relays its progress; cancelling asks the worker to stop, and terminates it if it has not within
 * a grace period.
 */
import type { WireError } from '../../../shared/errors.ts';
import type { EvaluationProgress, EvaluationRequest, EvaluationResult } from '../../../shared/evaluation.ts';
import { runWorkerTask } from '../workerTask.ts';
import { workerUrl } from '../workerThreads.ts';
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
  const data: EvaluationWorkerData = {
    request,
    options: { batchRows: options.batchRows, tempDir: options.tempDir, memoryLimit: options.memoryLimit },
  };
  return runWorkerTask<EvaluationProgress, EvaluationResult>(
    options.workerUrl ?? workerUrl(import.meta.url, 'evaluationWorker'),
    data,
    {
      what: 'evaluation',
      resultOf: (msg) => (msg as Extract<EvaluationWorkerMessage, { type: 'result' }>).result,
    },
    { signal: options.signal, onProgress: options.progress, cancelGraceMs: options.cancelGraceMs },
  );
}
