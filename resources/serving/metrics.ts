/**
 * Serving metrics in Prometheus' text format (version 0.0.4), kept in plain counters so that
 * recording a request costs a few additions. The Deployments page reads requests/s, error rate and
 * p50/p95 latency from these; Prometheus can scrape them as they are.
 */

/** Latency buckets in seconds: a one-row request takes well under a millisecond when warm. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

class EndpointStats {
  readonly byStatus = new Map<number, number>();
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length);
  count = 0;
  sum = 0;
}

/** One process's figures as plain data, for the server's primary process to add up (cluster.ts). */
export interface MetricsSnapshot {
  endpoints: {
    endpoint: string;
    byStatus: [number, number][];
    buckets: number[];
    count: number;
    sum: number;
  }[];
  inFlight: number;
  modelLoadSeconds: number;
  warmupSeconds: number;
  ready: boolean;
  requestLogDropped: number;
}

export class Metrics {
  private readonly endpoints = new Map<string, EndpointStats>();
  inFlight = 0;
  modelLoadSeconds = Number.NaN;
  warmupSeconds = Number.NaN;
  ready = false;
  requestLogDropped = 0;
  /** Server processes answering requests (cluster.ts); 1 when the server runs alone. */
  workers = 1;

  /** `endpoint` is a route (`/v2/models/{name}/infer`), never a raw path, so labels stay bounded. */
  observe(endpoint: string, status: number, seconds: number): void {
    let s = this.endpoints.get(endpoint);
    if (!s) {
      s = new EndpointStats();
      this.endpoints.set(endpoint, s);
    }
    s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
    s.count++;
    s.sum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) s.buckets[i]!++;
  }

  snapshot(): MetricsSnapshot {
    return {
      endpoints: [...this.endpoints].map(([endpoint, s]) => ({
        endpoint,
        byStatus: [...s.byStatus],
        buckets: Array.from(s.buckets),
        count: s.count,
        sum: s.sum,
      })),
      inFlight: this.inFlight,
      modelLoadSeconds: this.modelLoadSeconds,
      warmupSeconds: this.warmupSeconds,
      ready: this.ready,
      requestLogDropped: this.requestLogDropped,
    };
  }

  /**
   * Adds another process's counters and histograms to these. Gauges are left to the caller, who
   * knows how the processes combine (in flight adds up; ready only when every one is).
   */
  addCounts(s: MetricsSnapshot): void {
    for (const e of s.endpoints) {
      let mine = this.endpoints.get(e.endpoint);
      if (!mine) {
        mine = new EndpointStats();
        this.endpoints.set(e.endpoint, mine);
      }
      for (const [status, n] of e.byStatus) mine.byStatus.set(status, (mine.byStatus.get(status) ?? 0) + n);
      for (let i = 0; i < mine.buckets.length; i++) mine.buckets[i]! += e.buckets[i] ?? 0;
      mine.count += e.count;
      mine.sum += e.sum;
    }
    this.requestLogDropped += s.requestLogDropped;
  }

  render(): string {
    const lines: string[] = [
      '# HELP mlwb_requests_total Requests answered, by endpoint and HTTP status.',
      '# TYPE mlwb_requests_total counter',
    ];
    for (const [endpoint, s] of this.endpoints)
      for (const [status, n] of s.byStatus)
        lines.push(`mlwb_requests_total{endpoint="${endpoint}",status="${status}"} ${n}`);
    lines.push(
      '# HELP mlwb_request_duration_seconds Time from a request arriving to its answer being sent.',
      '# TYPE mlwb_request_duration_seconds histogram',
    );
    for (const [endpoint, s] of this.endpoints) {
      LATENCY_BUCKETS.forEach((le, i) => {
        lines.push(`mlwb_request_duration_seconds_bucket{endpoint="${endpoint}",le="${le}"} ${s.buckets[i]}`);
      });
      lines.push(
        `mlwb_request_duration_seconds_bucket{endpoint="${endpoint}",le="+Inf"} ${s.count}`,
        `mlwb_request_duration_seconds_sum{endpoint="${endpoint}"} ${s.sum}`,
        `mlwb_request_duration_seconds_count{endpoint="${endpoint}"} ${s.count}`,
      );
    }
    lines.push(
      '# HELP mlwb_requests_in_flight Requests being answered now.',
      '# TYPE mlwb_requests_in_flight gauge',
      `mlwb_requests_in_flight ${this.inFlight}`,
      '# HELP mlwb_model_load_seconds Time taken to read the model and create its session.',
      '# TYPE mlwb_model_load_seconds gauge',
      `mlwb_model_load_seconds ${this.modelLoadSeconds}`,
      '# HELP mlwb_model_warmup_seconds Time taken by the warm-up inference.',
      '# TYPE mlwb_model_warmup_seconds gauge',
      `mlwb_model_warmup_seconds ${this.warmupSeconds}`,
      '# HELP mlwb_model_ready 1 once the model is loaded and warmed up.',
      '# TYPE mlwb_model_ready gauge',
      `mlwb_model_ready ${this.ready ? 1 : 0}`,
      '# HELP mlwb_server_workers Server processes answering requests, each with its own model session.',
      '# TYPE mlwb_server_workers gauge',
      `mlwb_server_workers ${this.workers}`,
      '# HELP mlwb_request_log_dropped_total Request log lines dropped because the log folder could not keep up.',
      '# TYPE mlwb_request_log_dropped_total counter',
      `mlwb_request_log_dropped_total ${this.requestLogDropped}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
