import type { DriftOptionsInput, DriftProgress, DriftReport } from '../../../shared/drift.ts';
import type { WireError } from '../../../shared/errors.ts';
import { runWorkerTask } from '../workerTask.ts';
import { workerUrl } from '../workerThreads.ts';
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
  return runWorkerTask<DriftProgress, DriftReport>(
    options.workerUrl ?? defaultWorkerUrl(),
    request,
    {
      what: 'drift check',
      resultOf: (msg) => (msg as Extract<DriftWorkerMessage, { type: 'result' }>).report,
    },
    options,
  );
}
