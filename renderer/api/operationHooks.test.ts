/**
 * The operation hooks (`useOperation`, `useAddVersion`, `useDriftCheck`) when a run is started
 * again while the previous one is still going: starting again cancels the old run, whose progress
 * and outcome arrive later. Only the new run may set the state; the old "cancelled" (or a result
 * that raced the cancel) used to replace it, and the page showed it for the new operation.
 *
 * The renderer tests have no DOM, so React's hooks are replaced by a minimal stand-in that runs one
 * hook and runs it again on every state update, as a component would render.
 */
import { describe, expect, it, vi } from 'vitest';
import { cancelledError } from './apiError.ts';
import type { Client } from './client.ts';
import { useOperation } from './hooks.ts';
import type { OpProgress } from './operations.ts';
import type { PickedSource } from './transport.ts';
import { useAddVersion } from './useAddVersion.ts';
import { useDriftCheck } from './useDriftCheck.ts';

const react = vi.hoisted(() => {
  let cells: { value: unknown }[] = [];
  let cursor = 0;
  let context: unknown;
  let render = () => {};
  const cell = <T>(init: () => T): { value: T } => {
    const i = cursor++;
    cells[i] ??= { value: init() };
    return cells[i] as { value: T };
  };
  return {
    hooks: {
      useState<T>(initial: T) {
        const c = cell(() => initial);
        const set = (next: T) => {
          c.value = next;
          render();
        };
        return [c.value, set] as const;
      },
      useRef: <T>(initial: T) => cell(() => ({ current: initial })).value,
      useCallback<F>(fn: F, deps: unknown[]) {
        const c = cell(() => ({ fn, deps }));
        if (deps.some((d, i) => d !== c.value.deps[i])) c.value = { fn, deps };
        return c.value.fn;
      },
      // The hooks' effects only clean up on unmount, which these tests do not do.
      useEffect() {},
      useContext: () => context,
    },
    /** Mounts `hook` with `client` as the ClientContext value; `current` is its latest return. */
    renderHook<R>(hook: () => R, client: Client): { current: R } {
      cells = [];
      context = client;
      const result = {} as { current: R };
      render = () => {
        cursor = 0;
        result.current = hook();
      };
      render();
      return result;
    },
  };
});

vi.mock('react', async (importOriginal) => ({
  ...(await importOriginal<typeof import('react')>()),
  ...react.hooks,
}));

interface Run {
  params: unknown;
  signal: AbortSignal;
  progress(p: OpProgress): void;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/** A client whose long operations the test reports progress for and settles. */
function fakeClient() {
  const runs: Run[] = [];
  const client = {
    transport: { kind: 'electron', stage: async () => ({ paths: ['/data/in'] }) },
    run: (_method: string, params: unknown, opts: { signal: AbortSignal; onProgress(p: OpProgress): void }) =>
      new Promise((resolve, reject) => {
        runs.push({ params, signal: opts.signal, progress: opts.onProgress, resolve, reject });
      }),
  } as unknown as Client;
  return { client, runs };
}

/** Lets the awaits in the hooks go on. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

const progress = (done: number): OpProgress => ({ phase: 'working', done, total: 10 });

describe('useOperation', () => {
  it('keeps the new run when the one it cancelled reports progress and "cancelled" later', async () => {
    const { client, runs } = fakeClient();
    const op = react.renderHook(() => useOperation('store.verify'), client);

    void op.current.start({});
    void op.current.start({});
    await flush();
    const [old, run] = runs as [Run, Run];
    expect(old.signal.aborted).toBe(true);

    run.progress(progress(3));
    old.progress(progress(9));
    old.reject(cancelledError());
    await flush();
    expect(op.current.state).toEqual({ status: 'running', progress: progress(3) });

    run.resolve({ checked: 'new' });
    await flush();
    expect(op.current.state).toEqual({ status: 'succeeded', result: { checked: 'new' } });
  });

  it('cancels the run a reset interrupts, and stays idle whatever it says later', async () => {
    const { client, runs } = fakeClient();
    const op = react.renderHook(() => useOperation('store.verify'), client);

    void op.current.start({});
    await flush();
    op.current.reset();
    await flush();
    const [run] = runs as [Run];
    // Cancelled, so it does not run on out of Cancel's reach.
    expect(run.signal.aborted).toBe(true);
    run.progress(progress(5));
    run.resolve({ checked: 'late' });
    await flush();
    expect(op.current.state).toEqual({ status: 'idle' });
  });
});

describe('useAddVersion', () => {
  const source: PickedSource = { files: [], roots: [], emptyFolders: [] };

  it('cancels the previous run, and keeps the new one when the old says "cancelled" later', async () => {
    const { client, runs } = fakeClient();
    const add = react.renderHook(() => useAddVersion(), client);

    void add.current.start({ name: 'ds', message: 'first', source });
    await flush();
    void add.current.start({ name: 'ds', message: 'second', source });
    await flush();
    const [old, run] = runs as [Run, Run];
    expect(old.signal.aborted).toBe(true);
    expect(run.params).toMatchObject({ message: 'second' });

    run.progress(progress(3));
    old.progress(progress(9));
    old.reject(cancelledError());
    await flush();
    expect(add.current.state).toEqual({ step: 'storing', progress: progress(3) });

    run.resolve({ dataset: 'ds', version: 2 });
    await flush();
    expect(add.current.state).toEqual({ step: 'done', result: { dataset: 'ds', version: 2 } });
  });
});

describe('useDriftCheck', () => {
  it('keeps the new run, and reports only its record, when the old one finishes after it', async () => {
    const { client, runs } = fakeClient();
    const onDone = vi.fn();
    const check = react.renderHook(() => useDriftCheck(onDone), client);
    const req = { reference: 'dataset:ref@1', current: 'dataset:cur@1', options: {} };

    void check.current.start(req);
    await flush();
    void check.current.start({ ...req, current: 'dataset:cur@2' });
    await flush();
    const [old, run] = runs as [Run, Run];
    expect(old.signal.aborted).toBe(true);

    // The old check finished before its cancel reached core: its result comes after the new start.
    old.resolve({ id: 'old' });
    await flush();
    expect(check.current.state).toEqual({ step: 'checking', progress: null });
    expect(onDone).not.toHaveBeenCalled();

    run.resolve({ id: 'new' });
    await flush();
    expect(check.current.state).toEqual({ step: 'done', result: { id: 'new' } });
    expect(onDone).toHaveBeenCalledExactlyOnceWith({ id: 'new' });
  });

  it('keeps the new run when the one it cancelled says "cancelled" later', async () => {
    const { client, runs } = fakeClient();
    const check = react.renderHook(() => useDriftCheck(() => {}), client);
    const req = { reference: 'dataset:ref@1', current: 'dataset:cur@1', options: {} };

    void check.current.start(req);
    await flush();
    void check.current.start(req);
    await flush();
    const [old, run] = runs as [Run, Run];

    run.progress(progress(3));
    old.reject(cancelledError());
    await flush();
    expect(check.current.state).toEqual({ step: 'checking', progress: progress(3) });
  });
});
