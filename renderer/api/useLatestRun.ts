/**
 * The state of an operation a component can start, start again, cancel and reset. Starting again
 * cancels the run before it, and only the latest run sets the state: a cancelled run's progress and
 * outcome ("cancelled", or a result that raced the cancel) come later and would replace the new
 * run's. Reset cancels a run still going (else it would run on out of Cancel's reach).
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface LatestRun<S> {
  signal: AbortSignal;
  /** Whether this is still the component's latest run. */
  latest(): boolean;
  /** Sets the state, while this is the latest run. */
  update(next: S): void;
  /** The run is over: Cancel no longer reaches it. */
  end(): void;
}

export function useLatestRun<S>(initial: S) {
  const [state, setState] = useState<S>(initial);
  const first = useRef(initial);
  const current = useRef<AbortController | null>(null);
  useEffect(() => () => current.current?.abort(), []);

  /** A new run, cancelling the one before it. */
  const begin = useCallback((): LatestRun<S> => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    const latest = () => current.current === controller;
    return {
      signal: controller.signal,
      latest,
      update: (next) => {
        if (latest()) setState(next);
      },
      end: () => {
        if (latest()) current.current = null;
      },
    };
  }, []);
  const cancel = useCallback(() => current.current?.abort(), []);
  const reset = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setState(first.current);
  }, []);
  return { state, begin, cancel, reset };
}
