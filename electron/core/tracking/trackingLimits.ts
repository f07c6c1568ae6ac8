/**
 * MLflow's rules for metric, param and tag keys and values, so a script that MLflow accepts is
 * accepted here and one MLflow refuses is refused with the same reason. Every writer that takes
 * keys from outside (the MLflow REST subset, metrics.jsonl) checks through these functions.
 */
import { LIMITS } from '../../../shared/tracking.ts';
import { invalidInput } from '../errors.ts';

export type KeyKind = 'metric' | 'param' | 'tag';

// MLflow: alphanumerics, underscores, dashes, periods, spaces, colons and slashes. Python's \w
// is Unicode-aware, hence \p{L}\p{N} rather than JavaScript's ASCII \w.
const KEY_CHARS = /^[\p{L}\p{N}_\-. :/]+$/u;

/** Why a key is refused, or undefined when it is fine. */
export function keyProblem(kind: KeyKind, key: string): string | undefined {
  const name = kind === 'metric' ? 'Metric name' : kind === 'param' ? 'Param key' : 'Tag key';
  if (key.length === 0) return `${name} must not be empty.`;
  if (key.length > LIMITS.keyLength) {
    return `${name} '${key.slice(0, 40)}…' had length ${key.length}, which exceeded length limit of ${LIMITS.keyLength}.`;
  }
  if (!KEY_CHARS.test(key)) {
    return `Invalid ${name.toLowerCase()} '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`;
  }
  // Keys become file paths in MLflow's file store: '..', a leading or trailing '/' and '//' are
  // refused there, so they are refused here too.
  const segments = key.split('/');
  if (key.startsWith('/') || key.endsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return `Invalid ${name.toLowerCase()} '${key}': it must be a relative path without '.' or '..' segments or empty segments.`;
  }
  return undefined;
}

export function checkKey(kind: KeyKind, key: string): void {
  const problem = keyProblem(kind, key);
  if (problem) throw invalidInput(problem);
}

export function checkParamValue(key: string, value: string): void {
  if (value.length > LIMITS.paramValueLength) {
    throw invalidInput(
      `Param value '${value.slice(0, 40)}…' had length ${value.length}, which exceeded length limit of ${LIMITS.paramValueLength} (param '${key}').`,
    );
  }
}

export function checkTagValue(key: string, value: string): void {
  if (value.length > LIMITS.tagValueLength) {
    throw invalidInput(
      `Tag value '${value.slice(0, 40)}…' had length ${value.length}, which exceeded length limit of ${LIMITS.tagValueLength} (tag '${key}').`,
    );
  }
}

/** MLflow's per-request limits of runs/log-batch, checked before any item is looked at. */
export function checkBatchSize(counts: { metrics: number; params: number; tags: number }): void {
  const over = (what: string, max: number, got: number) =>
    invalidInput(
      `A batch logging request can contain at most ${max} ${what}. Got ${got} ${what}. Please split up ${what} across multiple requests and try again.`,
    );
  if (counts.metrics > LIMITS.batchMetrics) throw over('metrics', LIMITS.batchMetrics, counts.metrics);
  if (counts.params > LIMITS.batchParams) throw over('params', LIMITS.batchParams, counts.params);
  if (counts.tags > LIMITS.batchTags) throw over('tags', LIMITS.batchTags, counts.tags);
  const total = counts.metrics + counts.params + counts.tags;
  if (total > LIMITS.batchTotal) {
    throw over('total metrics, params, and tags', LIMITS.batchTotal, total);
  }
}
