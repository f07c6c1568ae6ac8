/**
 * A store worker: hashes and copies files into the object store, batch by batch, on its own
 * thread. Blocking file calls here keep the app's event loop free and let two files hash at once.
 */
import { parentPort } from 'node:worker_threads';
import { toWireError } from '../errors.ts';
import { ObjectStore } from './objectStore.ts';
import type { StoreReply, StoreRequest } from './storeWorkers.ts';

const stores = new Map<string, ObjectStore>();
/** Report bytes at most this often, so a 4 GiB file is a few hundred messages, not thousands. */
const BYTES_EVERY = 16 * 1024 * 1024;

parentPort!.on('message', (req: StoreRequest) => {
  let store = stores.get(req.home);
  if (!store) {
    store = new ObjectStore(req.home, req.startedAt);
    stores.set(req.home, store);
  }
  const flag = new Int32Array(req.cancel);
  const isCancelled = () => Atomics.load(flag, 0) === 1;
  let pending = 0;
  const onBytes = (n: number) => {
    pending += n;
    if (pending >= BYTES_EVERY) {
      parentPort!.postMessage({ type: 'bytes', id: req.id, n: pending } satisfies StoreReply);
      pending = 0;
    }
  };
  const digests: string[] = [];
  const written: number[] = [];
  const stale: number[] = [];
  try {
    for (const item of req.items) {
      if (isCancelled()) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      const blob = store.putFileSync(
        item.absPath,
        { size: item.size, mtimeNs: BigInt(item.mtimeNs) },
        { onBytes, isCancelled },
      );
      if (blob.written) written.push(digests.length);
      else if (blob.stale) stale.push(digests.length);
      digests.push(blob.sha256);
    }
    parentPort!.postMessage({
      type: 'done',
      id: req.id,
      digests,
      written,
      stale,
      bytes: pending,
    } satisfies StoreReply);
  } catch (err) {
    parentPort!.postMessage({ type: 'failed', id: req.id, error: toWireError(err) } satisfies StoreReply);
  }
});
