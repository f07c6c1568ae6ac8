/**
 * `changed` events come as fast as core changes things: a sweep starting and finishing runs, many
 * tags set by a script. Invalidating on each would refetch the runs list (thousands of runs, page
 * by page) many times a second. The coalescer gathers the entities named and flushes them at most
 * once per interval: at once after a quiet spell (leading edge), then whatever arrived meanwhile
 * when the interval is over (trailing edge, so the last change is always shown). A flush still
 * refetching holds the next one back, so a slow refetch is never cancelled and restarted by the
 * next event (which would leave a long list "updating…" for as long as the flood lasts).
 */

export interface ChangeCoalescer {
  add(entities: Iterable<string>): void;
  /** Drops what is pending and stops; a flush under way finishes on its own. */
  dispose(): void;
}

export function coalesceChanges(
  flush: (entities: string[]) => Promise<unknown>,
  intervalMs: number,
): ChangeCoalescer {
  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let flushing = false;
  let disposed = false;
  let lastFlush = Number.NEGATIVE_INFINITY;

  const schedule = () => {
    if (disposed || flushing || timer !== null || pending.size === 0) return;
    timer = setTimeout(run, Math.max(0, lastFlush + intervalMs - Date.now()));
  };
  const run = async () => {
    timer = null;
    const batch = [...pending];
    pending = new Set();
    flushing = true;
    lastFlush = Date.now();
    try {
      await flush(batch);
    } catch {
      // A failed refetch is shown by the query it failed for; the next change tries again.
    } finally {
      flushing = false;
      schedule();
    }
  };

  return {
    add(entities) {
      for (const e of entities) pending.add(e);
      schedule();
    },
    dispose() {
      disposed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}
