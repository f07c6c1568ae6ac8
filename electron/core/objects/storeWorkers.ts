/**
 * The pool of store workers. Files go out in batches — many small files together, a large file
 * alone, the largest batches first so no worker is left with a big file at the end — and come back
 * as digests, in order. A store can be fed while its files are still being listed (stream), so
 * storing starts with the first folder read. A pool lives as long as the workbench and lets the
 * process exit while it is idle.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { WireError } from '../../../shared/errors.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { startWorker, workerUrl } from '../workerThreads.ts';
import { Flusher } from './durability.ts';
import { hashFile, ObjectStore } from './objectStore.ts';

export interface StoreItem {
  absPath: string;
  size: number;
  mtimeNs: bigint;
}

export interface StoreRequest {
  id: number;
  home: string;
  items: { absPath: string; size: number; mtimeNs: string }[];
  cancel: SharedArrayBuffer;
  startedAt: number | undefined;
}

export type StoreReply =
  | { type: 'bytes'; id: number; n: number }
  /**
   * `written`: indices (into the batch) of the blobs this batch put in the store; `stale`: of those
   * found in place that may be what a power cut left there (StoredBlob.stale).
   */
  | { type: 'done'; id: number; digests: string[]; written: number[]; stale: number[]; bytes: number }
  | { type: 'failed'; id: number; error: WireError };

const BATCH_FILES = 64;
const BATCH_BYTES = 32 * 1024 * 1024;
/** Batches queued per worker, so a worker never waits for the main thread between batches. */
const IN_FLIGHT = 2;
/** How long a cancelled or failed store, or close(), waits for workers to stop writing. */
const DRAIN_WAIT_MS = 5000;

/** A store fed as files are found (StoreWorkers.stream). */
export interface StoreStream {
  /** Queues files; storing starts at once. Throws the store's failure once it has failed. */
  add(items: StoreItem[]): void;
  /**
   * Every added file's digest, in the order added, once all are stored, before they are made
   * durable. Call end() after: it checks the blobs found and makes them durable, and work that
   * does not need them durable can run while it waits for the disk.
   */
  stored(): Promise<string[]>;
  /**
   * Every added file's digest, in the order added, once all are stored and durable. Called again,
   * the same answer: nothing is stored or synced twice.
   */
  end(): Promise<string[]>;
}

export interface StoreOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onFiles?: (n: number) => void;
}

interface Slot {
  /** Started when a batch needs it; gone once it died, until the next batch starts another. */
  worker: Worker | undefined;
  /** Batches sent and not answered yet. */
  busy: number;
  /** Their ids, to fail them should the worker die. */
  ids: Set<number>;
}

export class StoreWorkers {
  private slots: Slot[] = [];
  private nextId = 1;
  private handlers = new Map<number, (reply: StoreReply) => void>();
  /** Runs not drained yet: a slot freed by one run's batch goes to the next run in turn. */
  private runs = new Set<StoreRun>();
  private turn = 0;
  /** While close() runs, nothing is sent, no worker starts, and a new store fails at once. */
  private closing: Promise<void> | undefined;

  private readonly size: number;
  private readonly vouched: (digests: string[]) => Set<string>;
  private readonly startedAt: number | undefined;

  constructor(
    private readonly home: string,
    opts: {
      size?: number;
      /**
       * Of these digests, those whose blobs committed records name (and so were made durable
       * before that commit). Without it, no blob found in the store is vouched for.
       */
      vouched?: (digests: string[]) => Set<string>;
      /** When this machine started, for tests (ObjectStore's `startedAt`). */
      startedAt?: number;
    } = {},
  ) {
    this.size = opts.size ?? (Number(process.env.MLWB_STORE_WORKERS) || defaultPoolSize());
    this.vouched = opts.vouched ?? (() => new Set());
    this.startedAt = opts.startedAt;
  }

  private ensureStarted(): Slot[] {
    if (this.closing) return this.slots;
    if (!this.slots.length)
      this.slots = Array.from({ length: this.size }, () => ({ worker: undefined, busy: 0, ids: new Set() }));
    for (const slot of this.slots) this.workerOf(slot);
    return this.slots;
  }

  private workerOf(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = startWorker(workerUrl(import.meta.url, 'storeWorker'));
    worker.on('message', (reply: StoreReply) => this.handlers.get(reply.id)?.(reply));
    worker.on('error', (err) => this.lost(slot, worker, `A store worker failed: ${err.message}`));
    worker.on('exit', (code) => this.lost(slot, worker, `A store worker stopped (exit code ${code}).`));
    worker.unref();
    slot.worker = worker;
    return worker;
  }

  /**
   * A worker that died: the batches it had fail (their stores with them, not others'). The next
   * batch for its slot starts another, so a worker that cannot start fails stores, not a loop.
   */
  private lost(slot: Slot, worker: Worker, message: string): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    for (const id of [...slot.ids])
      this.handlers.get(id)?.({ type: 'failed', id, error: { code: 'INTERNAL', message } });
  }

  /**
   * Starts the workers now, so a store that is certain to come (a folder never added before) does
   * not wait for them: they boot while the files are listed.
   */
  warmUp(): void {
    this.ensureStarted();
  }

  /**
   * Stores the files and resolves with their digests, in the order given, once every blob this
   * call wrote is durable (so the caller may commit records naming them).
   */
  async store(items: StoreItem[], opts: StoreOptions = {}): Promise<string[]> {
    const stream = this.stream(opts);
    stream.add(items);
    return stream.end();
  }

  /**
   * A store fed while its files are still being found: each `add` starts storing at once, and
   * `end` resolves with every file's digest, in the order added, once all are stored and the blobs
   * written are durable. It rejects on the first failure or when `opts.signal` aborts, once no
   * worker is still storing for it.
   */
  stream(opts: StoreOptions = {}): StoreStream {
    const objects = new ObjectStore(this.home, this.startedAt);
    const flusher = new Flusher(objects.root);
    const run = new StoreRun(this.send, {
      ...opts,
      onBytes: (n) => {
        flusher.stored(n);
        opts.onBytes?.(n);
      },
    });
    if (this.closing) run.fail(closingDown());
    this.runs.add(run);
    run.drained().then(() => {
      this.runs.delete(run);
      this.refreshRefs();
    });
    let storing: Promise<string[]> | undefined;
    const stored = () => {
      storing ??= run.end();
      return storing;
    };
    const end = async () => {
      try {
        let digests: string[];
        try {
          digests = await stored();
        } catch (err) {
          // A cancelled or failed store returns once its workers have stopped writing for it, so
          // the caller's lease outlives the blobs it wrote; but not later than DRAIN_WAIT_MS: a
          // worker stuck in a read (a hung network mount) must not hold Cancel up for good.
          await drainedOrLate(run.drained());
          throw err;
        }
        const found = await this.checkFound(objects, digests, run, opts.signal);
        await flusher.finish(
          [...run.written, ...found].map((d) => objects.pathFor(d)),
          opts.signal,
        );
        if (opts.signal?.aborted) throw cancelled();
        return digests;
      } finally {
        // A store that failed or was cancelled never reached finish, which ends it otherwise.
        flusher.close();
      }
    };
    let ending: Promise<string[]> | undefined;
    return {
      add: (items) => run.add(items),
      stored,
      end: () => {
        ending ??= end();
        return ending;
      },
    };
  }

  /**
   * The blobs a store found already in place (it wrote none for them), checked; returns the digests
   * of those to make durable with the store's own. The workers trust a blob at its name with the
   * expected size. That is sound for one committed records name (made durable before that commit)
   * and for one made since this machine started (what the page cache holds is what was written).
   * Any other may be what a power cut left: its rename reached the disk and its data did not
   * (ext4's delayed allocation allows it), full size and zeros. Those are hashed again, and one
   * that does not match is written again from its source and renamed over it. Found blobs nothing
   * vouches for are made durable too: another store may have written them and not synced them yet.
   * Costs one query when every blob found is vouched for.
   */
  private async checkFound(
    objects: ObjectStore,
    digests: string[],
    run: StoreRun,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    const fresh = new Set(run.written);
    const found = [...new Set(digests)].filter((d) => !fresh.has(d));
    if (!found.length) return [];
    const vouched = this.vouched(found);
    const unvouched = found.filter((d) => !vouched.has(d));
    const damaged = new Set<string>();
    for (const d of unvouched) {
      if (!run.stale.has(d)) continue;
      const actual = await hashFile(objects.pathFor(d), { signal }).catch((err: Error) => {
        if (err.name === 'AbortError') throw cancelled();
        return undefined;
      });
      if (actual !== d) damaged.add(d);
    }
    // Written again on this thread (a rare repair): renamed over the damaged blob, never removed
    // first, so a concurrent reader or store never finds it missing.
    for (const d of damaged) {
      if (signal?.aborted) throw cancelled();
      const item = run.stale.get(d)!;
      const again = objects.putFileSync(
        item.absPath,
        { size: item.size, mtimeNs: item.mtimeNs },
        { replace: true },
      );
      if (again.sha256 !== d) {
        throw new WorkbenchError(
          'IO',
          `${item.absPath} changed while it was being stored. Nothing was stored for it; add it again.`,
          { path: item.absPath },
        );
      }
    }
    return unvouched;
  }

  /**
   * Sends a batch to the least busy worker, starting it if need be; `onReply` gets its replies up
   * to the last. False when every worker already has its fill.
   */
  private readonly send: Send = (items, cancel, onReply) => {
    if (this.closing) return false;
    if (!this.slots.length) this.ensureStarted();
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    if (slot.busy >= IN_FLIGHT) return false;
    const worker = this.workerOf(slot);
    const id = this.nextId++;
    slot.busy++;
    slot.ids.add(id);
    this.handlers.set(id, (reply) => {
      if (reply.type === 'bytes') {
        onReply(reply);
        return;
      }
      this.handlers.delete(id);
      slot.ids.delete(id);
      slot.busy--;
      onReply(reply);
      this.pumpInTurn();
    });
    worker.ref();
    worker.postMessage({
      id,
      home: this.home,
      items: items.map((f) => ({ absPath: f.absPath, size: f.size, mtimeNs: f.mtimeNs.toString() })),
      startedAt: this.startedAt,
      cancel,
    } satisfies StoreRequest);
    return true;
  };

  /**
   * Offers free slots to the runs in turn, starting one further each time, so a store started
   * while another holds every worker gets the next one that frees (a code snapshot taken during a
   * large add would otherwise wait for the whole add).
   */
  private pumpInTurn(): void {
    const runs = [...this.runs];
    const first = this.turn++ % Math.max(1, runs.length);
    for (let k = 0; k < runs.length; k++) runs[(first + k) % runs.length]!.pump();
  }

  /** Workers hold the process open only while they have work. */
  private refreshRefs(): void {
    for (const s of this.slots) if (s.busy === 0) s.worker?.unref();
  }

  /**
   * Stops the workers; stores still running, or started meanwhile, fail as cancelled. Resolves
   * within DRAIN_WAIT_MS even when a worker is stuck in a read (a hung network mount), though Node
   * still waits for that thread's read to return before the process can end.
   */
  close(): Promise<void> {
    // stopAll starts once `closing` is set: the stores it fails must find the pool closing, or
    // their handlers would pump waiting stores onto a new pool.
    this.closing ??= Promise.resolve()
      .then(() => this.stopAll())
      .finally(() => {
        this.closing = undefined;
      });
    return this.closing;
  }

  private async stopAll(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    const workers = slots.flatMap((s) => (s.worker ? [s.worker] : []));
    for (const s of slots) s.worker = undefined;
    for (const run of [...this.runs]) run.fail(closingDown());
    for (const [id, handler] of [...this.handlers])
      handler({ type: 'failed', id, error: { code: 'CANCELLED', message: CLOSING } });
    const stopped = await drainedOrLate(Promise.all(workers.map((w) => w.terminate())));
    if (!stopped) for (const w of workers) w.unref();
  }
}

const CLOSING = 'The workbench is closing.';
const closingDown = () => cancelled(CLOSING);

/**
 * Whether `work` ended within DRAIN_WAIT_MS. The wait holds nothing open: a process with nothing
 * else to do exits meanwhile.
 */
async function drainedOrLate(work: Promise<unknown>): Promise<boolean> {
  const stopWaiting = new AbortController();
  try {
    return await Promise.race([
      work.then(() => true),
      delay(DRAIN_WAIT_MS, false, { ref: false, signal: stopWaiting.signal }),
    ]);
  } finally {
    stopWaiting.abort();
  }
}

/**
 * Two workers per core, between 2 and 8. Hashing is bound by the CPU, but reading many small files
 * from a cold cache is bound by the disk's latency: measured here (2 cores, 4,109 files of 4–124
 * KiB), two workers stored them at 0.7× the speed of `cp -r`, four at par, and four did not slow
 * large files down.
 */
function defaultPoolSize(): number {
  return Math.max(2, Math.min(8, 2 * os.availableParallelism()));
}

interface Batch {
  /** Index of its first file among all the files added to its run. */
  start: number;
  items: StoreItem[];
  bytes: number;
}

type Send = (items: StoreItem[], cancel: SharedArrayBuffer, onReply: (reply: StoreReply) => void) => boolean;

/**
 * One store's batches — up to 64 files or 32 MiB, a file larger than that alone — queued as files
 * are added: files larger than a batch first, largest first, so no worker is left with a big file
 * at the end; the rest in the order added. They go to workers as these have room, and their
 * digests are gathered in the order added.
 */
class StoreRun {
  /** Digests of the blobs this run put in the store (not those already there). */
  readonly written: string[] = [];
  /** Blobs found in place that may be what a power cut left there: digest → a file with it. */
  readonly stale = new Map<string, StoreItem>();
  private readonly digests: string[] = [];
  private readonly big: Batch[] = [];
  private readonly rest: Batch[] = [];
  private added = 0;
  private outstanding = 0;
  private ended = false;
  private settled = false;
  private failure: unknown;
  private readonly cancel = new SharedArrayBuffer(4);
  private readonly done: Promise<string[]>;
  private resolve!: (digests: string[]) => void;
  private reject!: (err: unknown) => void;
  private idle: Promise<void>;
  private onIdle!: () => void;

  constructor(
    private readonly send: Send,
    private readonly opts: StoreOptions,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failure while files are still being added reaches the caller through end(), not as an
    // unhandled rejection.
    this.done.catch(() => {});
    this.idle = new Promise((resolve) => {
      this.onIdle = resolve;
    });
    opts.signal?.addEventListener('abort', this.onAbort);
    if (opts.signal?.aborted) this.onAbort();
  }

  /**
   * Queues files, each small one joining the last batch while that is still queued and has room.
   * Throws the run's failure, if it failed: whoever is still listing files can stop.
   */
  add(items: StoreItem[]): void {
    if (this.ended) throw new Error('StoreRun.add after end');
    if (this.failure !== undefined) throw this.failure;
    if (this.settled) return;
    for (const item of items) {
      const index = this.added++;
      if (item.size > BATCH_BYTES) {
        this.big.push({ start: index, items: [item], bytes: item.size });
        this.big.sort((a, b) => b.bytes - a.bytes);
        continue;
      }
      const tail = this.rest.at(-1);
      if (
        tail &&
        tail.start + tail.items.length === index &&
        tail.items.length < BATCH_FILES &&
        tail.bytes + item.size <= BATCH_BYTES
      ) {
        tail.items.push(item);
        tail.bytes += item.size;
      } else {
        this.rest.push({ start: index, items: [item], bytes: item.size });
      }
    }
    this.pump();
  }

  end(): Promise<string[]> {
    this.ended = true;
    this.finishIfDone();
    return this.done;
  }

  /** Resolves once the run is over and no worker is storing for it any more. */
  drained(): Promise<void> {
    return this.idle;
  }

  /** Hands queued batches to workers while they have room. */
  pump(): void {
    while (!this.settled) {
      const queue = this.big.length ? this.big : this.rest;
      const batch = queue[0];
      if (!batch) return;
      let sent: boolean;
      try {
        sent = this.send(batch.items, this.cancel, (reply) => this.onReply(batch, reply));
      } catch (err) {
        // No worker could be started.
        this.settle(err);
        return;
      }
      if (!sent) return;
      queue.shift();
      this.outstanding++;
    }
  }

  /** Ends the run with `err` (the pool is closing); workers stop at their next file. */
  fail(err: unknown): void {
    this.settle(err);
  }

  private readonly onAbort = () => this.settle(cancelled());

  private settle(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (err === undefined) {
      this.resolve(this.digests);
    } else {
      // Workers stop at their next file.
      Atomics.store(new Int32Array(this.cancel), 0, 1);
      this.failure = err;
      this.reject(err);
    }
    if (this.outstanding === 0) this.onIdle();
  }

  private finishIfDone(): void {
    if (this.ended && this.outstanding === 0 && !this.big.length && !this.rest.length) this.settle();
  }

  private onReply(batch: Batch, reply: StoreReply): void {
    try {
      this.take(batch, reply);
    } catch (err) {
      // A progress callback that threw: the store fails with it rather than never ending.
      this.settle(err);
    }
  }

  private take(batch: Batch, reply: StoreReply): void {
    if (reply.type === 'bytes') {
      if (!this.settled) this.opts.onBytes?.(reply.n);
      return;
    }
    this.outstanding--;
    if (this.settled) {
      // A batch that was running when the run failed or was cancelled.
      if (this.outstanding === 0) this.onIdle();
      return;
    }
    if (reply.type === 'failed') {
      const e = reply.error;
      this.settle(new WorkbenchError(e.code, e.message, e.details));
      return;
    }
    reply.digests.forEach((d, k) => {
      this.digests[batch.start + k] = d;
    });
    for (const k of reply.written) this.written.push(reply.digests[k]!);
    for (const k of reply.stale) this.stale.set(reply.digests[k]!, batch.items[k]!);
    if (reply.bytes) this.opts.onBytes?.(reply.bytes);
    this.opts.onFiles?.(batch.items.length);
    // Freed slots are offered to the runs in turn by the pool (pumpInTurn), this one included.
    this.finishIfDone();
  }
}
