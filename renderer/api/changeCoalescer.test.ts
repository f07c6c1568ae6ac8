import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesceChanges } from './changeCoalescer.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(flushMs = 0) {
  const flushes: { at: number; entities: string[] }[] = [];
  const flush = async (entities: string[]) => {
    flushes.push({ at: Date.now(), entities: [...entities].sort() });
    if (flushMs) await new Promise((r) => setTimeout(r, flushMs));
  };
  return { flushes, flush };
}

describe('coalesceChanges', () => {
  it('flushes the first change at once, with every entity named', async () => {
    const { flushes, flush } = recorder();
    const c = coalesceChanges(flush, 500);
    const t0 = Date.now();
    c.add(['runs', 'run:A']);
    await vi.advanceTimersByTimeAsync(0);
    expect(flushes).toEqual([{ at: t0, entities: ['run:A', 'runs'] }]);
  });

  it('refetches at most twice a second during a flood, and always flushes the last change', async () => {
    const { flushes, flush } = recorder();
    const c = coalesceChanges(flush, 500);
    const t0 = Date.now();
    for (let i = 0; i < 150; i++) {
      c.add(['runs', `run:${i}`]);
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.advanceTimersByTimeAsync(1000);
    // 3 s of events, one every 20 ms: a flush at 0, 500, … 3000 ms; never two within 500 ms.
    expect(flushes.length).toBeLessThanOrEqual(7);
    expect(flushes.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < flushes.length; i++) {
      expect(flushes[i]!.at - flushes[i - 1]!.at).toBeGreaterThanOrEqual(500);
    }
    // Nothing is lost: every run named was in some flush, the last one in the last flush.
    const named = new Set(flushes.flatMap((f) => f.entities));
    for (let i = 0; i < 150; i++) expect(named.has(`run:${i}`)).toBe(true);
    expect(flushes.at(-1)!.entities).toContain('run:149');
    expect(flushes.at(-1)!.at - t0).toBeLessThanOrEqual(3000 + 500);
  });

  it('holds the next flush back while a slow one is still refetching', async () => {
    const { flushes, flush } = recorder(1200);
    const c = coalesceChanges(flush, 500);
    const t0 = Date.now();
    c.add(['runs']);
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i++) {
      c.add([`run:${i}`]);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(flushes).toHaveLength(1); // the first is still refetching at 1000 ms
    await vi.advanceTimersByTimeAsync(300);
    expect(flushes).toHaveLength(2);
    // Right after the first ended (more than 500 ms after it started), not before.
    expect(flushes[1]!.at - t0).toBeGreaterThanOrEqual(1200);
    expect(flushes[1]!.at - t0).toBeLessThan(1250);
    expect(flushes[1]!.entities).toHaveLength(10);
  });

  it('keeps going after a failed flush, and stops when disposed', async () => {
    let calls = 0;
    const c = coalesceChanges(async () => {
      calls++;
      throw new Error('refetch failed');
    }, 500);
    c.add(['runs']);
    await vi.advanceTimersByTimeAsync(0);
    c.add(['runs']);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    c.add(['runs']);
    c.dispose();
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(2);
  });
});
