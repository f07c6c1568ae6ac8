/**
 * Worker-thread entry for evaluations: the table scan, the tensors, onnxruntime and the metric
 * sorts all run here, so the thread that serves the UI never blocks on them. Speaks the protocol
 * of evaluationRunner.ts: one request in `workerData`, then `progress` messages and exactly one
 * `result` or `error`; a `cancel` message stops the evaluation with a CANCELLED error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from '../errors.ts';
import { evaluateModel } from './evaluateModel.ts';
import type { EvaluationWorkerData, EvaluationWorkerMessage } from './evaluationRunner.ts';

const port = parentPort;
if (!port) throw new Error('evaluationWorker.ts must run as a worker thread (see evaluateModelInWorker).');

const controller = new AbortController();
port.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'cancel') controller.abort();
});

const send = (msg: EvaluationWorkerMessage) => port.postMessage(msg);
const { request, options } = workerData as EvaluationWorkerData;

evaluateModel(request, {
  ...options,
  signal: controller.signal,
  progress: (progress) => send({ type: 'progress', progress }),
}).then(
  (result) => send({ type: 'result', result }),
  (err: unknown) => send({ type: 'error', error: toWireError(err) }),
);
