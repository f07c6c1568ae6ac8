/**
 * Work the app does on its own, every `ms`: one pass at a time (a pass still running when the next
 * is due is not doubled), told to stop between its items once the app closes, and never keeping
 * the process alive. A pass that throws (the store closed under it while quitting) is dropped; the
 * next one tries again. Returns what stops it.
 */
export function every(ms: number, pass: (stopped: () => boolean) => Promise<void>): () => void {
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    pass(() => stopped)
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, ms);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
