/**
 * A serving deployment's live figures (requests/s, p50 and p95 latency, error rate, in flight),
 * with sparklines of req/s and p95 over the minutes this page has watched.
 */
import type { ReactNode } from 'react';
import { ErrorNotice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { formatErrorRate, formatMs, formatRate } from './deploymentFormat.ts';
import { Sparkline } from './Sparkline.tsx';
import { useLiveMetrics } from './useLiveMetrics.ts';

export function LiveFigures(props: { name: string; serving: boolean }) {
  const { metrics: m, error, history } = useLiveMetrics(props.name, props.serving);
  if (!props.serving)
    return (
      <div className="card">
        <p className="muted">Live figures show while the deployment serves.</p>
      </div>
    );
  return (
    <div className="card" data-testid="live-figures">
      <div className="card-header">
        <h3>Live</h3>
        <span className="muted small">
          {m
            ? `over the last ${Math.round(m.windowSeconds)} s · ${formatCount(m.requestsTotal)} requests served`
            : 'reading…'}
        </span>
      </div>
      <ErrorNotice error={error} title="The figures could not be read." />
      <div className="figures">
        <Figure label="Requests/s" value={formatRate(m?.requestsPerSecond)} testId="figure-rps">
          <Sparkline
            values={history.map((s) => s.requestsPerSecond)}
            label="Requests per second, recent minutes"
          />
        </Figure>
        <Figure label="p50" value={formatMs(m?.p50Ms)} />
        <Figure label="p95" value={formatMs(m?.p95Ms)}>
          <Sparkline values={history.map((s) => s.p95Ms)} label="p95 latency, recent minutes" />
        </Figure>
        <Figure label="Errors" value={formatErrorRate(m?.errorRate)} />
        <Figure label="In flight" value={m ? String(m.inFlight) : '—'} />
        {m?.modelLoadSeconds != null && (
          <Figure label="Model load" value={`${m.modelLoadSeconds.toFixed(2)} s`} />
        )}
      </div>
    </div>
  );
}

function Figure(props: { label: string; value: string; testId?: string; children?: ReactNode }) {
  return (
    <div className="figure" data-testid={props.testId}>
      <span className="stat-label">{props.label}</span>
      <span className="figure-value">{props.value}</span>
      {props.children}
    </div>
  );
}
