/**
 * How a deployment's state and live figures read, on the list and on its page: status words and
 * tones, uptime, request rates and latencies, and what its alias says about the version it serves.
 */
import type { Deployment, DeploymentStatus } from '../../../shared/deployments.ts';

export const STATUS_LABEL: Record<DeploymentStatus, string> = {
  starting: 'Starting',
  running: 'Running',
  replacing: 'Replacing',
  stopped: 'Stopped',
  dead: 'Dead',
  missing: 'Missing',
  unknown: 'Unknown',
};

/** The colour family of a status: serving, changing, resting, or in trouble. */
export type StatusTone = 'ok' | 'busy' | 'idle' | 'bad';

export function statusTone(status: DeploymentStatus): StatusTone {
  switch (status) {
    case 'running':
      return 'ok';
    case 'starting':
    case 'replacing':
      return 'busy';
    case 'stopped':
      return 'idle';
    default:
      return 'bad';
  }
}

/** Whether the deployment answers requests now, so its figures are worth polling. */
export function isServing(status: DeploymentStatus): boolean {
  return status === 'running' || status === 'replacing';
}

/** Time since `startedAt`, to the second under an hour: "42 s", "3 min 05 s", "2 h 07 min", "3 d 4 h". */
export function formatUptime(startedAt: number | null, now: number): string {
  if (startedAt === null) return '—';
  const s = Math.max(0, Math.floor((now - startedAt) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${pad(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${pad(m % 60)} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined) return '—';
  if (perSecond === 0) return '0';
  return perSecond >= 100
    ? perSecond.toFixed(0)
    : perSecond >= 1
      ? perSecond.toFixed(1)
      : perSecond.toFixed(2);
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

/** An error share, or "—" when no request came in the window (the rate is then unknown, not 0). */
export function formatErrorRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  if (rate === 0) return '0%';
  const pct = rate * 100;
  return `${pct < 1 ? pct.toFixed(2) : pct.toFixed(1)}%`;
}

/**
 * What the deployment's alias says: nothing without one; that it follows it; and, when the alias
 * now names another version than the one served, which (`behind`), so the page can offer to update.
 */
export function aliasNote(
  d: Pick<Deployment, 'alias' | 'followAlias' | 'aliasVersion' | 'version'>,
): { text: string; behind: number | null } | null {
  if (d.alias === null) return null;
  const behind = d.aliasVersion !== null && d.aliasVersion !== d.version ? d.aliasVersion : null;
  if (behind !== null) return { text: `${d.alias} now points at v${behind}`, behind };
  return { text: d.followAlias ? `follows ${d.alias}` : `made from ${d.alias}`, behind: null };
}

/** Mode and size in a few words: "container", "swarm × 3". */
export function formatMode(d: Pick<Deployment, 'mode' | 'replicas'>): string {
  return d.mode === 'swarm' ? `swarm × ${d.replicas}` : 'container';
}

/** Terminal colour and cursor codes (onnxruntime colours its errors), which a page shows as noise. */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** A container's log text as a page should show it: without terminal escape codes. */
export function plainLogText(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** A message's first line, and the rest (a readiness failure's log lines) to be shown on demand. */
export function splitFirstLine(text: string): { first: string; rest: string } {
  const i = text.indexOf('\n');
  return i < 0 ? { first: text, rest: '' } : { first: text.slice(0, i), rest: text.slice(i + 1) };
}
