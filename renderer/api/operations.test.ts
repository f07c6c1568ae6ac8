/**
 * The op waiter: the `op.finished` event settles it, and `ops.get` is polled as a fallback. The two
 * race: a poll answered "running" just before the op finished can arrive after the event. That
 * late answer must not report progress, which would set a finished operation back to running.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpTracker } from './operations.ts';
import type { Frame, Transport } from './transport.ts';

const OP = '01M8HWD1W9W45GZCVR817FQ5QF';
const STOPPED = { phase: 'stopped', done: 2, total: 2 };
const running = {
  op: OP,
  kind: 'deployments.stop',
  state: 'running',
  startedAt: 1,
  finishedAt: null,
  progress: STOPPED,
};
const finished = { op: OP, kind: 'deployments.stop', state: 'succeeded', result: { stopped: true } };

/** A transport whose `ops.get` answers are released by the test, and whose events it sends. */
function fakeTransport(honoursSignal = true) {
  const listeners = new Set<(frame: Frame) => void>();
  const answers: ((info: unknown) => void)[] = [];
  const invoke = vi.fn(
    (_method: string, _params: unknown, signal?: AbortSignal) =>
      new Promise<unknown>((resolve, reject) => {
        answers.push(resolve);
        if (honoursSignal) signal?.addEventListener('abort', () => reject(new Error('given up')));
      }),
  );
  const transport = {
    kind: 'browser',
    invoke,
    subscribe: (l: (frame: Frame) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as Transport;
  const send = (frame: Frame) => {
    for (const l of listeners) l(frame);
  };
  return { transport, invoke, answers, send };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OpTracker.wait', () => {
  it('settles on op.finished, and a poll answer that arrives after it reports nothing', async () => {
    vi.useFakeTimers();
    const { transport, invoke, answers, send } = fakeTransport();
    const seen: string[] = [];
    void new OpTracker(transport)
      .wait(OP, { onProgress: (p) => seen.push(`progress ${p.phase} ${p.done}/${p.total}`) })
      .then((r) => seen.push(`settled ${JSON.stringify(r)}`));

    await vi.advanceTimersByTimeAsync(1500);
    expect(invoke).toHaveBeenCalledWith('ops.get', { op: OP }, expect.any(AbortSignal));
    // The server read the op as running (its last step done) and answered; the op then finished
    // and its event came first.
    send({ topic: 'op.finished', payload: finished });
    await vi.advanceTimersByTimeAsync(0);
    answers.shift()!(running);
    await vi.advanceTimersByTimeAsync(10_000);

    expect(seen).toEqual(['settled {"stopped":true}']);
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('settles on the poll when the event never comes', async () => {
    vi.useFakeTimers();
    const { transport, invoke, answers } = fakeTransport();
    const seen: string[] = [];
    void new OpTracker(transport)
      .wait(OP, { onProgress: (p) => seen.push(`progress ${p.phase}`) })
      .then((r) => seen.push(`settled ${JSON.stringify(r)}`));

    await vi.advanceTimersByTimeAsync(1500);
    answers.shift()!(running);
    await vi.advanceTimersByTimeAsync(1500);
    expect(invoke).toHaveBeenCalledTimes(2);
    answers.shift()!({ ...running, state: 'succeeded', finishedAt: 2, result: { stopped: true } });
    await vi.advanceTimersByTimeAsync(0);

    expect(seen).toEqual(['progress stopped', 'settled {"stopped":true}']);
  });

  it.each([
    ['that withdraws the call (browser mode)', true],
    ['that cannot withdraw it (the Electron bridge)', false],
  ])(
    'gives up a poll that gets no answer and sends the next, which settles it, on a transport %s',
    async (_, honours) => {
      vi.useFakeTimers();
      const { transport, invoke, answers } = fakeTransport(honours);
      const seen: string[] = [];
      void new OpTracker(transport).wait(OP, {}).then((r) => seen.push(`settled ${JSON.stringify(r)}`));

      await vi.advanceTimersByTimeAsync(1500);
      expect(invoke).toHaveBeenCalledTimes(1);
      // The first poll's connection stalled: no answer ever comes.
      answers.shift();
      await vi.advanceTimersByTimeAsync(10_000 + 1500);
      expect(invoke).toHaveBeenCalledTimes(2);
      answers.shift()!({ ...running, state: 'succeeded', finishedAt: 2, result: { stopped: true } });
      await vi.advanceTimersByTimeAsync(0);

      expect(seen).toEqual(['settled {"stopped":true}']);
    },
  );
});
