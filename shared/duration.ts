/**
 * Durations as people write them, one grammar everywhere (the CLI's --window, --every and
 * --cooldown, `deployment:NAME:SINCE`, the app's forms): `90s`, `15m`, `15 min`, `1.5h`, `7d`,
 * `2w`, or a plain number of seconds.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800 };

/** Whole seconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?$/i.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()]!);
}

/** Seconds as the parser reads them back, in the largest unit that divides them (`3600` → `1h`). */
export function durationText(seconds: number): string {
  if (seconds === 0) return '0';
  for (const [unit, n] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}
