/**
 * Polling what deployments do now. Their figures are polled every two seconds while they serve
 * and the page is in view (a hidden window asks nothing of the engine), with the last minutes kept
 * for the sparklines; the history lives beside the query cache, per deployment, so going from the
 * list to a deployment's page keeps what was already read.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { api } from '../../api/hooks.ts';
import { addSample, type Sample } from './metricsHistory.ts';

export const METRICS_POLL_MS = 2000;
/** Deployments' states are re-read this often: the engine changes them without an event. */
export const STATUS_POLL_MS = 4000;

const histories = new Map<string, Sample[]>();

function subscribeVisibility(onChange: () => void) {
  document.addEventListener('visibilitychange', onChange);
  return () => document.removeEventListener('visibilitychange', onChange);
}

/** Whether the page is on screen: polls stop while the window is hidden or minimised. */
export function usePageVisible(): boolean {
  return useSyncExternalStore(subscribeVisibility, () => document.visibilityState === 'visible');
}

export function useLiveMetrics(name: string, serving: boolean) {
  const visible = usePageVisible();
  const live = serving && visible;
  const query = api.deployments.metrics.useQuery(
    { name },
    { enabled: live, refetchInterval: live ? METRICS_POLL_MS : undefined },
  );
  const [history, setHistory] = useState<Sample[]>(() => histories.get(name) ?? []);
  useEffect(() => {
    if (!query.data) return;
    const next = addSample(histories.get(name) ?? [], query.data);
    histories.set(name, next);
    setHistory(next);
  }, [name, query.data]);
  return { metrics: serving ? query.data : undefined, error: serving ? query.error : null, history };
}
