/**
 * The pool of store workers. Files go out in batches — many small files together, a large file
 * alone, the largest batches first so no worker is left with a big file at the end — and come back
 * as digests, in order. A store can be fed while its files are still being listed (stream), so
 * storing starts with the first folder read. A pool lives as long as the workbench and lets the
 * process exit while it is idle.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { WireError } from '../../../shared/errors.ts';
import { cancelled, WorkbenchError } from '../errors.ts';
import { startWorker, workerUrl } from '../workerThreads.ts';
import { Flusher } from './durability.ts';
import { ObjectStore } from './objectStore.ts';

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
}

export type StoreReply =
  | { type: 'bytes'; id: number; n: number }
  /** `written`: indices (into the batch) of the blobs this batch put in the store. */
  | { type: 'done'; id: number; digests: string[]; written: number[]; bytes: number }
  | { type: 'failed'; id: number; error: WireError };

const BATCH_FILES = 64;
const BATCH_BYTES = 32 * 1024 * 1024;
/** Batches queued per worker, so a worker never waits for the main thread between batches. */
const IN_FLIGHT = 2;

/** A store fed as files are found (StoreWorkers.stream). */
export interface StoreStream {
  /** Queues files; storing starts at once. Throws the store's failure once it has failed. */
  add(items: StoreItem[]): void;
  /** Every added file's digest, in the order added, once all are stored and durable. */
  end(): Promise<string[]>;
}

export interface StoreOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onFiles?: (n: number) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class StoreWorkers {
  private slots: Slot[] = [];
  private nextId = 1;
  private handlers = new Map<number, (reply: StoreReply) => void>();

  constructor(
    private readonly home: string,
    private readonly size = Number(process.env.MLWB_STORE_WORKERS) || defaultPoolSize(),
  ) {}

  private ensureStarted(): Slot[] {
    if (this.slots.length) return this.slots;
    const url = workerUrl(import.meta.url, 'storeWorker');
    for (let i = 0; i < this.size; i++) {
      const worker = startWorker(url);
      worker.on('message', (reply: StoreReply) => this.handlers.get(reply.id)?.(reply));
      worker.on('error', (err) => {
        for (const h of this.handlers.values()) {
          h({
            type: 'failed',
            id: -1,
            error: { code: 'INTERNAL', message: `A store worker failed: ${err.message}` },
          });
        }
      });
      worker.unref();
      this.slots.push({ worker, busy: 0 });
    }
    return this.slots;
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
  store(items: StoreItem[], opts: StoreOptions = {}): Promise<string[]> {
    const stream = this.stream(opts);
    stream.add(items);
    return stream.end();
  }

  /**
   * A store fed while its files are still being found: each `add` starts storing at once, and
   * `end` resolves with every file's digest, in the order added, once all are stored and the blobs
   * written are durable. It rejects on the first failure or when `opts.signal` aborts.
   */
  stream(opts: StoreOptions = {}): StoreStream {
    const objects = new ObjectStore(this.home);
    const flusher = new Flusher(objects.root);
    const run = new StoreRun(this.send, () => this.refreshRefs(), {
      ...opts,
      onBytes: (n) => {
        flusher.stored(n);
        opts.onBytes?.(n);
      },
    });
    return {
      add: (items) => run.add(items),
      end: async () => {
        const digests = await run.end();
        await flusher.finish(
          run.written.map((d) => objects.pathFor(d)),
          opts.signal,
        );
        if (opts.signal?.aborted) throw cancelled();
        return digests;
      },
    };
  }

  /**
   * Sends a batch to the least busy worker, starting the pool on first use; `onReply` gets its
   * replies up to the last. False when every worker already has its fill.
   */
  private readonly send: Send = (items, cancel, onReply) => {
    const slot = this.ensureStarted().reduce((a, b) => (b.busy < a.busy ? b : a));
    if (slot.busy >= IN_FLIGHT) return false;
    const id = this.nextId++;
    slot.busy++;
    this.handlers.set(id, (reply) => {
      if (reply.type !== 'bytes') {
        this.handlers.delete(id);
        slot.busy--;
      }
      onReply(reply);
    });
    slot.worker.ref();
    slot.worker.postMessage({
      id,
      home: this.home,
      items: items.map((f) => ({ absPath: f.absPath, size: f.size, mtimeNs: f.mtimeNs.toString() })),
      cancel,
    } satisfies StoreRequest);
    return true;
  };

  /** Workers hold the process open only while they have work. */
  private refreshRefs(): void {
    for (const s of this.slots) if (s.busy === 0) s.worker.unref();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
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

/** Consecutive files in batches: up to 64 files or 32 MiB, and a file larger than that alone. */
function toBatches(items: StoreItem[], offset: number): Batch[] {
  const batches: Batch[] = [];
  let current: StoreItem[] = [];
  let start = 0;
  let bytes = 0;
  items.forEach((item, i) => {
    if (current.length && (current.length >= BATCH_FILES || bytes + item.size > BATCH_BYTES)) {
      batches.push({ start, items: current, bytes });
      current = [];
      bytes = 0;
    }
    if (!current.length) start = offset + i;
    current.push(item);
    bytes += item.size;
  });
  if (current.length) batches.push({ start, items: current, bytes });
  return batches;
}

interface Batch {
  /** Index of its first file among all the files added to its run. */
  start: number;
  items: StoreItem[];
  bytes: number;
}

type Send = (items: StoreItem[], cancel: SharedArrayBuffer, onReply: (reply: StoreReply) => void) => boolean;

/**
 * One store's batches: queued as files are added — files larger than a batch first, largest
 * first, so no worker is left with a big file at the end; the rest in the order added — handed
 * to workers as they have room, and their digests gathered in the order added.
 */
class StoreRun {
  /** Digests of the blobs this run put in the store (not those already there). */
  readonly written: string[] = [];
  private readonly digests: string[] = [];
  private readonly big: Batch[] = [];
  private readonly rest: Batch[] = [];
  private added = 0;
  private outstanding = 0;
  private failure: unknown;
  private ended = false;
  private settled = false;
  private readonly cancel = new SharedArrayBuffer(4);
  private readonly done: Promise<string[]>;
  private resolve!: (digests: string[]) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly send: Send,
    private readonly idle: () => void,
    private readonly opts: StoreOptions,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failure while files are still being added reaches the caller through end(), not as an
    // unhandled rejection.
    this.done.catch(() => {});
    opts.signal?.addEventListener('abort', this.onAbort);
    if (opts.signal?.aborted) this.onAbort();
  }

  /** Throws the run's failure, if it failed: whoever is still listing files can stop. */
  add(items: StoreItem[]): void {
    if (this.ended) throw new Error('StoreRun.add after end');
    if (this.failure !== undefined) throw this.failure;
    if (this.settled || items.length === 0) return;
    for (const batch of toBatches(items, this.added)) {
      if (batch.bytes > BATCH_BYTES) {
        this.big.push(batch);
        this.big.sort((a, b) => b.bytes - a.bytes);
      } else {
        this.rest.push(batch);
      }
    }
    this.added += items.length;
    this.pump();
  }

  end(): Promise<string[]> {
    this.ended = true;
    this.finishIfDone();
    return this.done;
  }

  private readonly onAbort = () => this.settle(cancelled());

  private settle(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    this.idle();
    if (err === undefined) {
      this.resolve(this.digests);
      return;
    }
    // Workers stop at their next file.
    Atomics.store(new Int32Array(this.cancel), 0, 1);
    this.failure = err;
    this.reject(err);
  }

  private finishIfDone(): void {
    if (this.ended && this.outstanding === 0 && !this.big.length && !this.rest.length) this.settle();
  }

  private pump(): void {
    while (!this.settled) {
      const queue = this.big.length ? this.big : this.rest;
      const batch = queue[0];
      if (!batch || !this.send(batch.items, this.cancel, (reply) => this.onReply(batch, reply))) return;
      queue.shift();
      this.outstanding++;
    }
  }

  private onReply(batch: Batch, reply: StoreReply): void {
    if (reply.type === 'bytes') {
      if (!this.settled) this.opts.onBytes?.(reply.n);
      return;
    }
    this.outstanding--;
    if (this.settled) {
      // A batch that was running when the run failed or was cancelled: its worker is free now.
      this.idle();
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
    if (reply.bytes) this.opts.onBytes?.(reply.bytes);
    this.opts.onFiles?.(batch.items.length);
    this.pump();
    this.finishIfDone();
  }
}
