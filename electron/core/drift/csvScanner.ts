/**
 * csvScan.ts in a thread of its own, so the two files of a drift check are read at once: the
 * drift worker reads one and starts another drift worker (in its scanner role) for the other.
 * The thread is started before it has work, so its start-up overlaps DuckDB's sniffing.
 */
import type { Worker } from 'node:worker_threads';
import type { WireError } from '../../../shared/errors.ts';
import { WorkbenchError } from '../errors.ts';
import { startWorker, workerUrl } from '../workerThreads.ts';
import type { CsvLayout, ScannedCsv } from './csvScan.ts';

/** What the scanner thread is started with and answers. */
export const SCANNER_ROLE = 'csvScanner';
export type ScannerRequest = { type: 'scan'; layout: CsvLayout } | { type: 'cancel' };
export type ScannerReply = { type: 'scanned'; scan: ScannedCsv | null } | { type: 'error'; error: WireError };

/** A file csvScan.ts may read: CSV or TSV, not compressed. */
export function isPlainTextTable(file: { path: string; format?: string }): boolean {
  const format =
    file.format ?? (/\.csv$/i.test(file.path) ? 'csv' : /\.(tsv|tab)$/i.test(file.path) ? 'tsv' : null);
  return (format === 'csv' || format === 'tsv') && !/\.(gz|zst)$/i.test(file.path);
}

export interface CsvScanner {
  scan(layout: CsvLayout, signal?: AbortSignal): Promise<ScannedCsv | null>;
  /** Ends the thread; safe to call at any time, and more than once. */
  stop(): void;
}

/**
 * `driftWorker` is the drift worker's module: the drift worker passes its own URL, the one sure to
 * start however it was itself started (sources, a bundle of them, the CLI's or the app's build).
 */
export function startCsvScanner(driftWorker = workerUrl(import.meta.url, 'driftWorker')): CsvScanner {
  const worker: Worker = startWorker(driftWorker, { workerData: { role: SCANNER_ROLE } });
  let stopped = false;
  let failure: Error | undefined;
  let pending: { resolve(scan: ScannedCsv | null): void; reject(err: Error): void } | undefined;
  const settle = (fn: (p: NonNullable<typeof pending>) => void) => {
    const p = pending;
    pending = undefined;
    if (p) fn(p);
  };
  const fail = (err: Error) => {
    failure ??= err;
    settle((p) => p.reject(err));
  };
  worker.on('message', (reply: ScannerReply) =>
    settle((p) =>
      reply.type === 'scanned'
        ? p.resolve(reply.scan)
        : p.reject(new WorkbenchError(reply.error.code, reply.error.message, reply.error.details)),
    ),
  );
  worker.on('error', (err) =>
    fail(new WorkbenchError('INTERNAL', `The CSV reader thread failed: ${err.message}`)),
  );
  worker.on('exit', (code) =>
    fail(new WorkbenchError('INTERNAL', `The CSV reader thread stopped (exit code ${code}).`)),
  );
  return {
    scan(layout, signal) {
      if (failure) return Promise.reject(failure);
      if (pending) return Promise.reject(new Error('The CSV reader thread reads one file at a time.'));
      const onAbort = () => worker.postMessage({ type: 'cancel' } satisfies ScannerRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      return new Promise<ScannedCsv | null>((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage({ type: 'scan', layout } satisfies ScannerRequest);
      }).finally(() => signal?.removeEventListener('abort', onAbort));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      void worker.terminate();
    },
  };
}
