/**
 * Waits for long operations. The `op.finished` event is the normal path; because it can arrive
 * before the reply that named the op, finished events are remembered for a while. `ops.get` is
 * polled as a fallback, so a dropped event stream never leaves a dialog spinning forever.
 */
import { type EventOf, OpInfo } from '../../shared/contract.ts';
import { ApiError, cancelledError } from './apiError.ts';
import type { Transport } from './transport.ts';

export type OpProgress = Pick<EventOf<'progress'>, 'phase' | 'done' | 'total' | 'message'>;
type Finished = Pick<EventOf<'op.finished'>, 'state' | 'result' | 'error'>;

const REMEMBER = 200;
const POLL_MS = 1500;
/** How long one poll may go unanswered before the next is sent. */
const POLL_WAIT_MS = 10_000;

/**
 * `answer`, or a rejection once POLL_WAIT_MS pass or `giveUp` aborts, whether or not the transport
 * honours the signal (the Electron bridge cannot withdraw a call it has sent).
 */
function withinPollWait<T>(answer: Promise<T>, giveUp: AbortController): Promise<T> {
  const late = setTimeout(() => giveUp.abort(), POLL_WAIT_MS);
  const given = new Promise<never>((_, reject) => {
    giveUp.signal.addEventListener('abort', () => reject(cancelledError()), { once: true });
  });
  return Promise.race([answer, given]).finally(() => clearTimeout(late));
}

interface Waiter {
  onProgress(p: OpProgress): void;
  settle(f: Finished): void;
}

export class OpTracker {
  private finished = new Map<string, Finished>();
  private waiters = new Map<string, Waiter>();

  constructor(private readonly transport: Transport) {
    transport.subscribe((frame) => {
      if (frame.topic === 'progress') {
        const p = frame.payload as EventOf<'progress'>;
        this.waiters.get(p.op)?.onProgress(p);
      } else if (frame.topic === 'op.finished') {
        const f = frame.payload as EventOf<'op.finished'>;
        this.remember(f.op, f);
        this.waiters.get(f.op)?.settle(f);
      }
    });
  }

  /** Resolves with the op's raw result; rejects with its error. Aborting the signal cancels it. */
  wait(
    op: string,
    opts: { signal?: AbortSignal; onProgress?: (p: OpProgress) => void } = {},
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let settled = false;
      /** The poll in flight, given up when it takes too long or the wait settles. */
      let inFlight: AbortController | undefined;
      const onAbort = () => {
        this.transport.invoke('ops.cancel', { op }).catch(() => {});
      };
      // Progress is reported only until the wait settles. A poll answered "running" just before
      // the op finished can arrive after op.finished settled it; its progress would set the
      // caller back to running after the outcome, for good (a page said "Stopping…" with its
      // buttons disabled while the deployment was long stopped).
      const progress = (p: OpProgress) => {
        if (!settled) opts.onProgress?.(p);
      };
      const settle = (f: Finished) => {
        if (settled) return;
        settled = true;
        if (this.waiters.get(op) === waiter) this.waiters.delete(op);
        clearTimeout(timer);
        inFlight?.abort();
        opts.signal?.removeEventListener('abort', onAbort);
        if (f.state === 'succeeded') resolve(f.result);
        else if (f.state === 'cancelled') reject(cancelledError());
        else reject(f.error ? ApiError.fromWire(f.error) : new ApiError('INTERNAL', 'The operation failed.'));
      };
      const waiter: Waiter = { onProgress: progress, settle };
      this.waiters.set(op, waiter);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();

      const known = this.finished.get(op);
      if (known) return settle(known);
      const poll = async () => {
        try {
          // A poll that gets no answer is given up after POLL_WAIT_MS and the next one sent (a
          // stalled connection must not end the fallback); an answer after the wait settled is
          // ignored (see `progress`).
          inFlight = new AbortController();
          const info = OpInfo.parse(
            await withinPollWait(this.transport.invoke('ops.get', { op }, inFlight.signal), inFlight),
          );
          if (info.state !== 'running') return settle(info);
          if (info.progress) progress(info.progress);
        } catch (err) {
          // The op is forgotten only long after it finished; anything else is worth retrying.
          if (err instanceof ApiError && err.code === 'NOT_FOUND') {
            return settle({ state: 'failed', error: { code: 'NOT_FOUND', message: err.message } });
          }
        }
        if (!settled) timer = setTimeout(poll, POLL_MS);
      };
      timer = setTimeout(poll, POLL_MS);
    });
  }

  private remember(op: string, f: Finished) {
    this.finished.set(op, f);
    if (this.finished.size > REMEMBER) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }
}
