/**
 * How the CLI speaks (docs/architecture.md §6): with --json, stdout holds exactly one JSON document, with
 * non-finite numbers as the strings "Infinity", "-Infinity", "NaN"; otherwise short human tables.
 * Errors are one line on stderr starting with `error:`; progress goes to stderr only on a terminal.
 */
import type { OpContext } from '../core/ops/operations.ts';

export class UsageError extends Error {}

/** Thrown by a check that ran and failed (drift detected, verify found damage): exit code 3. */
export class CheckFailed extends Error {
  constructor(readonly result: unknown) {
    super('check failed');
  }
}

/**
 * Thrown by a command that printed its result and still failed (a check that could not be made, a
 * retraining that failed): exit code 1, and `message` as the one `error:` line. Its result was the
 * command's one JSON document, so no error document follows it.
 */
export class FailedWithResult extends Error {}

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v))
        return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (typeof v === 'bigint') return Number(v);
      return v;
    },
    2,
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A plain text table with left-aligned columns. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface Out {
  json: boolean;
  /** Print a result: as JSON, or through the human formatter. */
  result(value: unknown, human: () => string): void;
  /**
   * Print a list: as JSON, always one object with the list under a named key (`{datasets:[…]}`),
   * plus paging fields where there are any; never a bare array (docs/architecture.md §6).
   */
  list<T>(key: string, items: T[], human: () => string, paging?: Record<string, unknown>): void;
  progress(text: string): void;
  progressDone(): void;
}

export function createOut(json: boolean, stdout = process.stdout, stderr = process.stderr): Out {
  const tty = Boolean(stderr.isTTY);
  let shown = false;
  return {
    json,
    result(value, human) {
      stdout.write(`${json ? toJson(value) : human()}\n`);
    },
    list(key, items, human, paging) {
      stdout.write(`${json ? toJson({ [key]: items, ...paging }) : human()}\n`);
    },
    progress(text) {
      if (!tty) return;
      stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    progressDone() {
      if (tty && shown) stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** A long operation's progress as one line on a terminal: `phase 3 of 5: message`. */
export function progressOf(out: Out): OpContext['progress'] {
  return (p) =>
    out.progress(
      `${p.phase}${p.total ? ` ${p.done} of ${p.total}` : ''}${p.message ? `: ${p.message}` : ''}`,
    );
}
