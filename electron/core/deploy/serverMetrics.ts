/**
 * Reads the model server's `/metrics` (resources/serving/metrics.ts, Prometheus text) into the
 * figures the Deployments page shows: requests/s, error rate and p50/p95 latency over the time
 * since the previous read. Only prediction requests count (`/invocations`, `…/infer`): health
 * probes and the reads of `/metrics` itself would otherwise be most of the traffic.
 */
import type { DeploymentMetrics } from '../../../shared/deployments.ts';

export interface MetricsSample {
  at: number;
  requestsTotal: number;
  errorsTotal: number;
  /** Cumulative counts by upper bound in seconds, ascending; the last bound is +Inf. */
  buckets: { le: number; count: number }[];
  inFlight: number;
  modelLoadSeconds: number | null;
}

const isPrediction = (endpoint: string) => endpoint === '/invocations' || endpoint.endsWith('/infer');

// Greedy up to the last `}`: label values hold braces (`/v2/models/{name}/infer`).
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;

function labelsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return out;
}

export function parseServerMetrics(text: string, at: number): MetricsSample {
  let requestsTotal = 0;
  let errorsTotal = 0;
  let inFlight = 0;
  let modelLoadSeconds: number | null = null;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const [, name, rawLabels, rawValue] = m;
    const value = Number(rawValue === '+Inf' ? Number.POSITIVE_INFINITY : rawValue);
    const labels = labelsOf(rawLabels);
    switch (name) {
      case 'mlwb_requests_total':
        if (!isPrediction(labels.endpoint ?? '')) break;
        requestsTotal += value;
        if (Number(labels.status) >= 400) errorsTotal += value;
        break;
      case 'mlwb_request_duration_seconds_bucket': {
        if (!isPrediction(labels.endpoint ?? '')) break;
        const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
        buckets.set(le, (buckets.get(le) ?? 0) + value);
        break;
      }
      case 'mlwb_requests_in_flight':
        // The read of /metrics is itself a request in flight: not the deployment's traffic.
        inFlight = Math.max(0, value - 1);
        break;
      case 'mlwb_model_load_seconds':
        modelLoadSeconds = Number.isFinite(value) ? value : null;
        break;
    }
  }
  return {
    at,
    requestsTotal,
    errorsTotal,
    inFlight,
    modelLoadSeconds,
    buckets: [...buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le),
  };
}

/**
 * The figures between `previous` and `now` (or over the server's life when there is no previous
 * sample). A quantile is read from the histogram as Prometheus' histogram_quantile does: linear
 * within the bucket it falls in.
 */
export function serverFigures(now: MetricsSample, previous?: MetricsSample): DeploymentMetrics {
  const base = previous ?? { at: now.at, requestsTotal: 0, errorsTotal: 0, buckets: [] };
  const requests = now.requestsTotal - base.requestsTotal;
  const errors = now.errorsTotal - base.errorsTotal;
  const windowSeconds = previous ? Math.max((now.at - previous.at) / 1000, 0.001) : 0;
  const before = new Map(base.buckets.map((b) => [b.le, b.count]));
  const delta = now.buckets.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
  return {
    at: now.at,
    windowSeconds,
    requestsTotal: now.requestsTotal,
    errorsTotal: now.errorsTotal,
    requestsPerSecond: windowSeconds > 0 ? requests / windowSeconds : 0,
    errorRate: requests > 0 ? errors / requests : null,
    p50Ms: quantileMs(delta, 0.5),
    p95Ms: quantileMs(delta, 0.95),
    inFlight: now.inFlight,
    modelLoadSeconds: now.modelLoadSeconds,
  };
}

function quantileMs(buckets: { le: number; count: number }[], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      // Past the last finite bound nothing is known but that bound.
      if (!Number.isFinite(b.le)) return lower * 1000;
      const inBucket = b.count - below;
      const share = inBucket > 0 ? (rank - below) / inBucket : 0;
      return (lower + (b.le - lower) * share) * 1000;
    }
    lower = Number.isFinite(b.le) ? b.le : lower;
    below = b.count;
  }
  return lower * 1000;
}
