/**
 * One run, live: its log lines (the stored tail from `runs.logs`, then `run.log` events) bounded so
 * a flood never grows the page without end, and its metric series, refetched at most once a
 * second while `run:ID:metrics` events arrive.
 */
import { useQueries, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { EventOf } from '../../shared/contract.ts';
import { entities } from '../../shared/entities.ts';
import { type SampledSeries, SERIES_LIMITS } from '../../shared/tracking.ts';
import type { ApiError } from './apiError.ts';
import { useClient } from './client.ts';
import { api } from './hooks.ts';
import { invalidateEntities } from './invalidation.ts';

/** The UI keeps this many lines; the run's full log stays on disk (`mlwb runs logs ID`). */
export const LOG_LIMIT = 5000;
const METRICS_THROTTLE_MS = 1000;

export interface LogLine {
  /** Increases with every line received, so React keys stay stable while old lines fall off. */
  seq: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface RunLogs {
  lines: LogLine[];
  /** Lines not in `lines`: cut from the front to stay bounded, or dropped from a live flood. */
  omitted: number;
  isPending: boolean;
  error: ApiError | null;
}

/**
 * When `active` turns false (the run ended while shown), the stored log is read once more, so any
 * line missed between the first read and the live events is filled in.
 */
export function useRunLogs(id: string, active: boolean): RunLogs {
  const client = useClient();
  const stored = api.runs.logs.useQuery({ id, tail: LOG_LIMIT }, { staleTime: Number.POSITIVE_INFINITY });
  const queryClient = useQueryClient();
  const buffer = useRef<{ lines: LogLine[]; omitted: number; seq: number }>({
    lines: [],
    omitted: 0,
    seq: 0,
  });
  const [view, setView] = useState<{ lines: LogLine[]; omitted: number }>({ lines: [], omitted: 0 });
  const frame = useRef<number | null>(null);

  // Re-render at most once a frame however fast lines arrive, with a fresh array to render.
  const schedule = useCallback(() => {
    frame.current ??= requestAnimationFrame(() => {
      frame.current = null;
      const b = buffer.current;
      const cut = Math.max(0, b.lines.length - LOG_LIMIT);
      setView({ lines: b.lines.slice(cut), omitted: b.omitted + cut });
    });
  }, []);
  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );

  useEffect(() => {
    if (!stored.data) return;
    const b = buffer.current;
    b.lines = stored.data.map((l) => ({ seq: b.seq++, stream: l.stream, text: l.text }));
    b.omitted = 0;
    schedule();
  }, [stored.data, schedule]);

  useEffect(
    () =>
      client.transport.subscribe((frame) => {
        if (frame.topic !== 'run.log') return;
        const e = frame.payload as EventOf<'run.log'>;
        if (e.run !== id || !stored.data) return;
        const b = buffer.current;
        for (const l of e.lines) b.lines.push({ seq: b.seq++, stream: l.stream, text: l.text });
        b.omitted += e.dropped;
        // Trim in chunks, not per line, so a flood costs one copy per LOG_LIMIT/5 lines.
        if (b.lines.length > LOG_LIMIT * 1.2) {
          b.omitted += b.lines.length - LOG_LIMIT;
          b.lines = b.lines.slice(-LOG_LIMIT);
        }
        schedule();
      }),
    [client, id, stored.data, schedule],
  );

  const wasActive = useRef(false);
  useEffect(() => {
    if (active) wasActive.current = true;
    else if (wasActive.current) {
      wasActive.current = false;
      void queryClient.invalidateQueries({ queryKey: api.runs.logs.key({ id, tail: LOG_LIMIT }) });
    }
  }, [active, id, queryClient]);

  return {
    lines: view.lines,
    omitted: view.omitted,
    isPending: stored.isPending,
    error: stored.error,
  };
}

/**
 * While runs write metrics, what reads them (their summaries, for new keys and latest values, and
 * their series) is refetched, throttled: a metric flushed every 150 ms must not mean a request
 * every 150 ms, however many runs are shown. The shared invalidation leaves this stream to this
 * hook (hooks.ts).
 */
export function useLiveMetricRefresh(ids: string[]): void {
  const client = useClient();
  const queryClient = useQueryClient();
  const joined = ids.join(',');
  useEffect(() => {
    const watched = new Set<string>(joined ? joined.split(',').map((id) => entities.runMetrics(id)) : []);
    const due = new Set<string>();
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      timer = null;
      last = Date.now();
      const changed = [...due];
      due.clear();
      void invalidateEntities(queryClient, changed);
    };
    const off = client.transport.subscribe((frame) => {
      if (frame.topic !== 'changed') return;
      for (const entity of (frame.payload as EventOf<'changed'>).entities)
        if (watched.has(entity)) due.add(entity);
      if (due.size === 0 || timer) return;
      timer = setTimeout(refresh, Math.max(0, last + METRICS_THROTTLE_MS - Date.now()));
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [client, joined, queryClient]);
}

/** A chart's view of its series: the whole of them, or a window of steps (a zoom). */
export interface SeriesWindow {
  maxPoints: number;
  from?: number;
  to?: number;
}

/**
 * Runs per series request: a running run's new points read its own few series again, not every
 * run's on the page (each request is refetched when any of its runs logs).
 */
const RUNS_PER_REQUEST = 10;

/**
 * The series of `keys` for the runs in `ids`, as charts draw them: at most `maxPoints` points
 * each, buckets where a series is longer (runs.metricSeries): a request per RUNS_PER_REQUEST runs,
 * split further only by the contract's bounds. While a new window loads, the last one stays drawn.
 */
export function useMetricSeries(
  ids: string[],
  keys: string[],
  window: SeriesWindow,
): {
  series: Map<string, Map<string, SampledSeries>>;
  error: ApiError | null;
  /** Some series has not been read for this window yet (what is drawn for it is the last one). */
  isPending: boolean;
} {
  const client = useClient();
  // Keys per request: as many as the contract's bound on points allows with this many runs.
  const keysPerRequest = (runs: number) =>
    Math.max(
      1,
      Math.min(SERIES_LIMITS.keys, Math.floor(SERIES_LIMITS.pointsPerRequest / (runs * window.maxPoints))),
    );
  const requests = chunks(ids, RUNS_PER_REQUEST).flatMap((idChunk) =>
    chunks(keys, keysPerRequest(idChunk.length)).map((keyChunk) => ({
      ids: idChunk,
      keys: keyChunk,
      maxPoints: window.maxPoints,
      ...(window.from !== undefined && { from: window.from }),
      ...(window.to !== undefined && { to: window.to }),
    })),
  );
  const results = useQueries({
    queries: requests.map((p) => ({
      queryKey: api.runs.metricSeries.key(p),
      queryFn: ({ signal }: { signal: AbortSignal }) => client.call('runs.metricSeries', p, signal),
      staleTime: Number.POSITIVE_INFINITY,
    })),
  });
  // What was drawn last, for the series whose new request (a zoom, a new key) has not answered
  // yet: react-query's placeholderData does not carry over between the keys of useQueries. A
  // request that failed carries nothing over: its error is shown instead.
  const drawn = useRef(new Map<string, Map<string, SampledSeries>>());
  const stamp = results.map((r) => `${r.dataUpdatedAt}:${r.status}`).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the stamp changes exactly when a series does.
  const series = useMemo(() => {
    const out = new Map<string, Map<string, SampledSeries>>();
    const put = (s: SampledSeries) => {
      const byKey = out.get(s.run) ?? new Map<string, SampledSeries>();
      byKey.set(s.key, s);
      out.set(s.run, byKey);
    };
    requests.forEach((p, i) => {
      const r = results[i];
      if (r?.data) for (const s of r.data.series) put(s);
      else if (r?.isPending)
        for (const id of p.ids)
          for (const key of p.keys) {
            const before = drawn.current.get(id)?.get(key);
            if (before) put(before);
          }
    });
    return out;
  }, [stamp, ids.join(','), keys.join(',')]);
  useLayoutEffect(() => {
    drawn.current = series;
  }, [series]);
  const error = (results.find((r) => r.error)?.error as ApiError | undefined) ?? null;
  return { series, error, isPending: results.some((r) => r.isPending) };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
