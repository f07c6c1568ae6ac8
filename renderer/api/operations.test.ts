/**
 * The op waiter's fallback: when the event stream says nothing, `ops.get` is polled, and a poll
 * that never gets an answer is given up and sent again, so a page never waits on one stuck request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpTracker } from './operations.ts';
import type { Transport } from './transport.ts';

const OP = '01M8HWD1W9W45GZCVR817FQ5QF';
const info = (state: 'running' | 'succeeded') => ({
  op: OP,
  kind: 'deployments.stop',
  state,
  startedAt: 1,
  finishedAt: state === 'running' ? null : 2,
  progress: null,
  result: state === 'succeeded' ? { stopped: true } : undefined,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('OpTracker.wait', () => {
  it('sends the next poll when one gets no answer, and settles on the answer after it', async () => {
    vi.useFakeTimers();
    const answers: (() => Promise<unknown>)[] = [
      () => Promise.resolve(info('running')),
      () => new Promise<never>(() => {}), // the request that never comes back
      () => Promise.resolve(info('succeeded')),
    ];
    const invoke = vi.fn((_method: string) => answers.shift()!());
    const transport = { kind: 'browser', invoke, subscribe: () => () => {} } as unknown as Transport;
    let settled: unknown;
    void new OpTracker(transport).wait(OP).then((r) => {
      settled = r;
    });
    await vi.advanceTimersByTimeAsync(1500 * 2 + 500);
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000 + 1500 + 500);
    expect(invoke).toHaveBeenCalledTimes(3);
    expect(settled).toEqual({ stopped: true });
  });
});
