/**
 * How retraining policies and their executions read on every page: statuses and step states in
 * words, triggers and cooldowns in words, elapsed times, and what each step made, read from its
 * `detail` (written by core's policy runner: train {run, datasets}, register {version}, evaluate
 * {metrics, dataset}, promote {gate}, deploy {outcome}).
 */

import { HEADLINE_METRICS } from '../../../../shared/evaluation.ts';
import type { ExecutionStatus, PipelineStepName, Policy, StepState } from '../../../../shared/policies.ts';
import { type GateOutcome, GateOutcome as GateOutcomeSchema } from '../../../../shared/registry.ts';
import { formatStat } from '../../../format.ts';
import { formatDuration } from '../monitorFormat.ts';

export const EXECUTION_STATUS_LABEL: Record<ExecutionStatus, string> = {
  running: 'Running',
  deployed: 'Deployed',
  rejected: 'Rejected',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const EXECUTION_STATUS_HINT: Record<ExecutionStatus, string> = {
  running: 'Retraining now.',
  deployed: 'The new version took the alias and the deployment serves it.',
  rejected:
    'The gate refused the new version, or its replacement was rolled back: the old version serves on.',
  failed: 'A step could not be done; its message says why.',
  cancelled: 'Stopped by hand.',
};

export const STEP_LABEL: Record<PipelineStepName, string> = {
  train: 'Train',
  register: 'Register',
  evaluate: 'Evaluate',
  promote: 'Promote',
  deploy: 'Deploy',
};

export const STEP_STATE_LABEL: Record<StepState, string> = {
  pending: 'waiting',
  running: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
};

/** What sets a policy off, in words: "alerts of iris-monitor (dataset drift), new data". */
export function triggersText(t: Policy['triggers']): string {
  const parts: string[] = [];
  if (t.monitor) parts.push(`alerts of ${t.monitor}${t.rules ? ` (${t.rules.join('; ')})` : ''}`);
  if (t.newData) parts.push('a new version of its data');
  return parts.join(' or ') || 'only by hand';
}

/** The cooldown in words: "at most once per 1 h" (nothing between two by hand). */
export function cooldownText(seconds: number): string {
  return seconds === 0
    ? 'no pause between two triggered runs'
    : `at most once per ${formatDuration(seconds)}`;
}

/** Milliseconds as a step's or an execution's duration: "0.4 s", "12 s", "3 min 5 s". */
export function formatElapsed(ms: number): string {
  if (ms < 0) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  return formatDuration(Math.round(ms / 1000));
}

/** From start to end, or to now while it runs; null before it started. */
export function elapsed(startedAt: number | null, endedAt: number | null, now: number): number | null {
  if (startedAt === null) return null;
  return (endedAt ?? now) - startedAt;
}

/** The first and last characters of a long id, enough to tell runs apart: `01JX4…Q3W`. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}

/** The metrics the evaluate step headlines, in this order, when it computed them. */

/** An evaluation's headline figures: `[['accuracy', '0.9667'], ['f1', '0.9666']]`. */
export function headlineMetrics(metrics: unknown, max = 3): [string, string][] {
  if (!metrics || typeof metrics !== 'object') return [];
  const m = metrics as Record<string, unknown>;
  return HEADLINE_METRICS.filter((k) => typeof m[k] === 'number')
    .slice(0, max)
    .map((k) => [k, formatStat(m[k] as number)]);
}

/** `iris@2:train.csv` → its parts, to link the dataset version; null when it is not one. */
export function parseDatasetRef(
  ref: unknown,
): { dataset: string; version: number; path: string | null } | null {
  if (typeof ref !== 'string') return null;
  const m = /^([^@]+)@(\d+)(?::(.+))?$/.exec(ref);
  return m ? { dataset: m[1]!, version: Number(m[2]), path: m[3] ?? null } : null;
}

/** The dataset versions a train step read (`{iris: 2}`), sorted by name. */
export function trainedOn(datasets: unknown): { dataset: string; version: number }[] {
  if (!datasets || typeof datasets !== 'object') return [];
  return Object.entries(datasets as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([dataset, version]) => ({ dataset, version }))
    .sort((a, b) => a.dataset.localeCompare(b.dataset));
}

/** The promote step's gate outcome, when it went through one (validated: `detail` is untyped). */
export function gateOf(detail: Record<string, unknown>): GateOutcome | null {
  const parsed = GateOutcomeSchema.safeParse(detail.gate);
  return parsed.success ? parsed.data : null;
}
