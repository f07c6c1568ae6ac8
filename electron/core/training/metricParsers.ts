/**
 * metrics.jsonl, one {"key","value","step","timestamp"} per line, read as it grows: one of the three
 * ways metrics arrive (the others: the recipe's regexes over log lines, metricRegex.ts, and the
 * MLflow-compatible API). Bad lines — not JSON, a non-finite value, an over-long key — are skipped
 * and counted, never fatal.
 */
import { LIMITS } from '../../../shared/tracking.ts';

export interface ParsedPoint {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

/** Parses complete lines; an incomplete last line is returned as `rest` for the next read. */
export function parseMetricLines(
  text: string,
  clock = Date.now,
): { points: ParsedPoint[]; skipped: number; rest: string } {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  const points: ParsedPoint[] = [];
  let skipped = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    const p = parseMetricLine(line, clock);
    if (p) points.push(p);
    else skipped++;
  }
  return { points, skipped, rest };
}

function parseMetricLine(line: string, clock: () => number): ParsedPoint | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.key !== 'string' || o.key.length === 0 || o.key.length > LIMITS.keyLength) return undefined;
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) return undefined;
  const step = o.step === undefined ? 0 : o.step;
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) return undefined;
  const ts = o.timestamp === undefined ? clock() : o.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  // Seconds (Python's time.time()) or milliseconds: stored as milliseconds.
  return { key: o.key, value: o.value, step, timestamp: Math.round(ts < 1e11 ? ts * 1000 : ts) };
}
