/**
 * Long operations: each gets an id at once, reports progress as events (throttled so a flood of
 * small files never floods the transport), can be cancelled through its AbortSignal, and ends
 * with one `op.finished` event carrying its result or error.
 */
import type { OpInfo } from '../../../shared/contract.ts';
import { toWireError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { newId, now } from '../ids.ts';

export interface OpContext {
  signal: AbortSignal;
  /** The operation's id, when it runs as one (`ops.cancel` stops it). */
  op?: string;
  progress(p: { phase: string; done: number; total: number | null; message?: string }): void;
}

interface Running {
  info: OpInfo;
  controller: AbortController;
  done: Promise<unknown>;
  lastEmit: number;
}

const PROGRESS_INTERVAL_MS = 100;
const KEEP_FINISHED = 200;

export class Operations {
  private ops = new Map<string, Running>();

  constructor(private readonly events: EventBus) {}

  start<T>(kind: string, work: (ctx: OpContext) => Promise<T>): { op: string; done: Promise<T> } {
    const op = newId();
    const controller = new AbortController();
    const info: OpInfo = { op, kind, state: 'running', startedAt: now(), finishedAt: null, progress: null };
    const running: Running = { info, controller, done: Promise.resolve(), lastEmit: 0 };
    const ctx: OpContext = {
      signal: controller.signal,
      op,
      progress: (p) => {
        info.progress = p;
        const t = Date.now();
        if (t - running.lastEmit < PROGRESS_INTERVAL_MS && p.done !== p.total) return;
        running.lastEmit = t;
        this.events.emit('progress', { op, kind, ...p });
      },
    };
    const done = (async () => {
      // Yield first so the caller gets the op id before any progress event.
      await new Promise((r) => setImmediate(r));
      return work(ctx);
    })();
    running.done = done;
    this.ops.set(op, running);
    done.then(
      (result) => this.finish(running, 'succeeded', { result }),
      (err) => {
        const error = toWireError(err);
        this.finish(
          running,
          controller.signal.aborted || error.code === 'CANCELLED' ? 'cancelled' : 'failed',
          {
            error: controller.signal.aborted
              ? { code: 'CANCELLED', message: 'The operation was cancelled.' }
              : error,
          },
        );
      },
    );
    return { op, done };
  }

  private finish(r: Running, state: OpInfo['state'], outcome: { result?: unknown; error?: OpInfo['error'] }) {
    Object.assign(r.info, { state, finishedAt: now() }, outcome);
    this.events.emit('op.finished', { op: r.info.op, kind: r.info.kind, state, ...outcome });
    this.prune();
  }

  get(op: string): OpInfo | undefined {
    return this.ops.get(op)?.info;
  }

  list(): OpInfo[] {
    return [...this.ops.values()].map((r) => r.info);
  }

  /** Resolves with the operation's result or rejects with its error. */
  wait(op: string): Promise<unknown> {
    const r = this.ops.get(op);
    if (!r) return Promise.reject(new Error(`No operation ${op}`));
    return r.done;
  }

  cancel(op: string): boolean {
    const r = this.ops.get(op);
    if (!r) return false;
    if (r.info.state !== 'running') return false;
    r.controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const r of this.ops.values()) r.controller.abort();
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.ops.values()].map((r) => r.done));
  }

  private prune() {
    const finished = [...this.ops.values()].filter((r) => r.info.state !== 'running');
    for (const r of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.ops.delete(r.info.op);
  }
}
