/** How numbers, sizes and times read everywhere in the UI. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

// One formatter each, made once: `toLocaleString` with a locale builds a new Intl.NumberFormat on
// every call, which is most of the cost of a table of numbers rendered at every scroll frame.
const COUNT = new Intl.NumberFormat('en-US');
const DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export function formatCount(n: number): string {
  return COUNT.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Statistics: integers as they are, others to 4 significant digits, exponents when huge or tiny. */
export function formatStat(v: number | string | boolean | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return COUNT.format(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(3);
  return DECIMAL.format(Number(v.toPrecision(4)));
}

export function formatDate(ms: number): string {
  const d = new Date(ms);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The time of day to the second (`14:03:27`): request times, check windows. */
export function formatTimeOfDay(ms: number): string {
  const d = new Date(ms);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} d ago`;
  return formatDate(ms).slice(0, 10);
}

/** A number that crossed JSON (DESIGN.md §8): finite, or "Infinity" / "-Infinity" / "NaN". */
export function formatJsonNumber(v: number | string | null | undefined): string {
  if (v === 'Infinity') return '∞';
  if (v === '-Infinity') return '−∞';
  if (v === 'NaN') return 'NaN';
  return formatStat(v as number | null | undefined);
}

/** A share in 0..1 as a percentage: 1 decimal, 2 below 1 %, "0 %" for exactly zero. */
export function formatShare(v: number): string {
  if (v === 0) return '0%';
  const pct = v * 100;
  return `${pct.toFixed(pct < 1 ? 2 : pct >= 99.95 && pct < 100 ? 2 : 1).replace(/\.0+$/, '')}%`;
}
