/**
 * Worker-thread entry for drift checks: DuckDB scans and every statistic run here, so the thread
 * that serves the UI never blocks on them. Speaks the small protocol of driftRunner.ts: one
 * request in `workerData`, then `progress` messages and exactly one `result` or `error`; a
 * `cancel` message interrupts the running query and ends with a CANCELLED error.
 *
 * Started in the CSV scanner role (csvScanner.ts), it reads one CSV file for the drift worker
 * that started it, so the two files of a check are read at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DriftProgress } from '../../../shared/drift.ts';
import { toWireError } from '../errors.ts';
import { scanCsv } from './csvScan.ts';
import {
  isPlainTextTable,
  SCANNER_ROLE,
  type ScannerReply,
  type ScannerRequest,
  startCsvScanner,
} from './csvScanner.ts';
import type { DriftRequest, DriftWorkerMessage } from './driftRunner.ts';

const port = parentPort;
if (!port) throw new Error('driftWorker.ts must run as a worker thread (see runDriftInWorker).');

const controller = new AbortController();
const scanner = (workerData as { role?: string } | undefined)?.role === SCANNER_ROLE;
port.on('message', (msg: ScannerRequest | { type?: string }) => {
  if (msg?.type === 'cancel') controller.abort();
  else if (scanner && msg.type === 'scan')
    void scan((msg as Extract<ScannerRequest, { type: 'scan' }>).layout);
});

const send = (msg: DriftWorkerMessage) => port.postMessage(msg);

async function scan(layout: Extract<ScannerRequest, { type: 'scan' }>['layout']) {
  const reply = (msg: ScannerReply, transfer: ArrayBuffer[] = []) => port!.postMessage(msg, transfer);
  try {
    const result = await scanCsv(layout, controller.signal);
    // The numbers move to the drift worker rather than being copied.
    const buffers = (result?.columns ?? []).flatMap((c) =>
      c.numbers
        ? [(c.numbers instanceof Float64Array ? c.numbers : c.numbers.counts).buffer as ArrayBuffer]
        : [],
    );
    reply({ type: 'scanned', scan: result }, buffers);
  } catch (err) {
    reply({ type: 'error', error: toWireError(err) });
  }
}

async function main(request: DriftRequest) {
  const hooks = {
    signal: controller.signal,
    onProgress: (progress: DriftProgress) => send({ type: 'progress', progress }),
  };
  const { reference, current, options } = request;
  if ('file' in reference && 'file' in current) {
    const file = (f: typeof reference.file) => (typeof f === 'string' ? { path: f } : f);
    // Started before DuckDB loads, so the second CSV reader is ready when the files' layouts are.
    const scanner =
      isPlainTextTable(file(reference.file)) && isPlainTextTable(file(current.file))
        ? startCsvScanner(new URL(import.meta.url))
        : undefined;
    const { driftCheckFiles } = await import('./driftCheck.ts');
    return driftCheckFiles(reference.file, current.file, options, {
      ...hooks,
      memoryLimit: request.memoryLimit,
      scanner,
    });
  }
  if ('columns' in reference && 'columns' in current) {
    const { driftCheck } = await import('./driftCheck.ts');
    return driftCheck(reference.columns, current.columns, options, hooks);
  }
  throw new TypeError('A drift request needs two files or two column sets.');
}

if (!scanner) {
  main(workerData as DriftRequest).then(
    (report) => send({ type: 'result', report }),
    (err: unknown) => send({ type: 'error', error: toWireError(err) }),
  );
}
