/**
 * Worker-thread entry for drift checks: DuckDB scans and every statistic run here, so the thread
 * that serves the UI never blocks on them. Speaks the small protocol of driftRunner.ts: one
 * request in `workerData`, then `progress` messages and exactly one `result` or `error`; a
 * `cancel` message interrupts the running query and ends with a CANCELLED error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DriftProgress } from '../../../shared/drift.ts';
import { toWireError } from '../errors.ts';
import { driftCheck, driftCheckFiles } from './driftCheck.ts';
import type { DriftRequest, DriftWorkerMessage } from './driftRunner.ts';

const port = parentPort;
if (!port) throw new Error('driftWorker.ts must run as a worker thread (see runDriftInWorker).');

const controller = new AbortController();
port.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'cancel') controller.abort();
});

const send = (msg: DriftWorkerMessage) => port.postMessage(msg);

async function main(request: DriftRequest) {
  const hooks = {
    signal: controller.signal,
    onProgress: (progress: DriftProgress) => send({ type: 'progress', progress }),
  };
  const { reference, current, options } = request;
  if ('file' in reference && 'file' in current) {
    return driftCheckFiles(reference.file, current.file, options, {
      ...hooks,
      memoryLimit: request.memoryLimit,
    });
  }
  if ('columns' in reference && 'columns' in current) {
    return driftCheck(reference.columns, current.columns, options, hooks);
  }
  throw new TypeError('A drift request needs two files or two column sets.');
}

main(workerData as DriftRequest).then(
  (report) => send({ type: 'result', report }),
  (err: unknown) => send({ type: 'error', error: toWireError(err) }),
);
