/** `mlwb drift …`: a drift check for CI (exit 3 on dataset drift), stored reports, presets. */
import { parseArgs } from 'node:util';
import type { DriftMethod, DriftOptionsPatch } from '../../shared/drift.ts';
import { driftMethods } from '../../shared/driftMethods.ts';
import type { Api } from '../core/api.ts';
import { CheckFailed, formatTime, type Out, table, UsageError } from './output.ts';

export const driftHelp = `Usage: mlwb drift --reference SRC --current SRC [options]
       mlwb drift reports [--dataset NAME] | show ID | compare ID1 ID2
       mlwb drift presets [list] | presets save NAME [options] | presets delete NAME

  SRC: a CSV/TSV/Parquet/JSONL path, dataset:NAME[@V][:PATH], or deployment:NAME[:SINCE], the
       rows a deployment scored since SINCE (24h, 15m, or an ISO time; all without), by feature
  --columns A,B                 only these columns
  --method [COL=]M              ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, hellinger
  --threshold [COL=]T           drift threshold (p-value for ks/chisquare/z, distance otherwise)
  --drift-share S               dataset drift when this share of columns drifted (default 0.5)
  --column-type COL=numerical|categorical
  --preset NAME                 start from a saved preset; flags given win over it
  --no-save                     do not store the report
Exit code 3 when dataset drift is detected.`;

const optionFlags = {
  columns: { type: 'string' },
  method: { type: 'string', multiple: true },
  threshold: { type: 'string', multiple: true },
  'drift-share': { type: 'string' },
  'column-type': { type: 'string', multiple: true },
} as const;

/** `[COL=]VALUE` pairs: a bare value applies to every column. */
function split(flag: string, raw: string): { column?: string; value: string } {
  const eq = raw.lastIndexOf('=');
  if (eq < 0) return { value: raw };
  const column = raw.slice(0, eq);
  if (!column) throw new UsageError(`--${flag} ${raw}: the column before "=" is empty.`);
  return { column, value: raw.slice(eq + 1) };
}

function number(flag: string, s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} needs a number, not "${s}".`);
  return n;
}

function method(s: string): DriftMethod {
  if (!(driftMethods as readonly string[]).includes(s)) {
    throw new UsageError(`Unknown drift method "${s}". Use one of: ${driftMethods.join(', ')}.`);
  }
  return s as DriftMethod;
}

export function optionsFromFlags(values: Record<string, unknown>): DriftOptionsPatch {
  const o: DriftOptionsPatch = {};
  if (typeof values.columns === 'string')
    o.columns = values.columns
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  for (const raw of (values.method as string[] | undefined) ?? []) {
    const { column, value } = split('method', raw);
    if (column) o.methods = { ...o.methods, [column]: method(value) };
    else o.method = method(value);
  }
  for (const raw of (values.threshold as string[] | undefined) ?? []) {
    const { column, value } = split('threshold', raw);
    if (column) o.thresholds = { ...o.thresholds, [column]: number('threshold', value) };
    else o.threshold = number('threshold', value);
  }
  if (typeof values['drift-share'] === 'string') o.driftShare = number('drift-share', values['drift-share']);
  for (const raw of (values['column-type'] as string[] | undefined) ?? []) {
    const { column, value } = split('column-type', raw);
    if (!column || (value !== 'numerical' && value !== 'categorical')) {
      throw new UsageError(`--column-type takes COL=numerical or COL=categorical, not "${raw}".`);
    }
    o.columnTypes = { ...o.columnTypes, [column]: value };
  }
  return o;
}

const fmt = (v: unknown) =>
  v === null || v === undefined
    ? '-'
    : typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toPrecision(4)
      : String(v);

export async function driftCommand(api: Api, argv: string[], out: Out, signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'reports') {
    const { values } = parseArgs({ args: rest, options: { dataset: { type: 'string' } }, strict: true });
    const r = await api.call('drift.reports', { dataset: values.dataset });
    out.list('reports', r, () =>
      r.length === 0
        ? 'No drift reports yet. Run: mlwb drift --reference SRC --current SRC'
        : table(
            ['ID', 'CREATED', 'REFERENCE', 'CURRENT', 'DRIFT', 'DRIFTED'],
            r.map((x) => [
              x.id,
              formatTime(x.createdAt),
              x.reference.label,
              x.current.label,
              x.datasetDrift ? 'yes' : 'no',
              `${x.drifted}/${x.tested}`,
            ]),
          ),
    );
    return 0;
  }
  if (sub === 'show' || sub === 'compare') {
    const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
    if (sub === 'show') {
      if (positionals.length !== 1) throw new UsageError('usage: mlwb drift show ID');
      const r = await api.call('drift.report', { id: positionals[0]! });
      out.result(r, () => humanReport(r.report, r.reference.label, r.current.label));
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('usage: mlwb drift compare ID1 ID2');
    const r = await api.call('drift.compare', { a: positionals[0]!, b: positionals[1]! });
    out.result(r, () =>
      table(
        ['COLUMN', 'A METHOD', 'A STATISTIC', 'A DRIFT', 'B METHOD', 'B STATISTIC', 'B DRIFT'],
        r.columns.map((c) => [
          c.column,
          c.a?.method ?? '-',
          fmt(c.a?.statistic),
          c.a ? (c.a.drifted ? 'yes' : 'no') : '-',
          c.b?.method ?? '-',
          fmt(c.b?.statistic),
          c.b ? (c.b.drifted ? 'yes' : 'no') : '-',
        ]),
      ),
    );
    return 0;
  }
  if (sub === 'presets') {
    const [action = 'list', ...args] = rest;
    if (action === 'list') {
      const r = await api.call('drift.presets', {});
      out.list('presets', r, () =>
        r.length === 0
          ? 'No presets yet. Save one: mlwb drift presets save NAME --method psi …'
          : table(
              ['NAME', 'OPTIONS'],
              r.map((p) => [p.name, JSON.stringify(p.options)]),
            ),
      );
      return 0;
    }
    const { values, positionals } = parseArgs({
      args: args,
      options: optionFlags,
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError(`usage: mlwb drift presets ${action} NAME`);
    if (action === 'save') {
      const r = await api.call('drift.presets.save', {
        name: positionals[0]!,
        options: optionsFromFlags(values),
      });
      out.result(r, () => `Saved preset ${r.name}: ${JSON.stringify(r.options)}`);
      return 0;
    }
    if (action === 'delete') {
      const r = await api.call('drift.presets.delete', { name: positionals[0]! });
      out.result(r, () =>
        r.deleted ? `Deleted preset ${positionals[0]}.` : `No preset named ${positionals[0]}.`,
      );
      return r.deleted ? 0 : 1;
    }
    throw new UsageError(`unknown command "drift presets ${action}". Run mlwb drift --help.`);
  }
  if (sub === 'help') {
    out.result({ help: driftHelp }, () => driftHelp);
    return 0;
  }

  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...optionFlags,
      reference: { type: 'string' },
      current: { type: 'string' },
      preset: { type: 'string' },
      'no-save': { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length)
    throw new UsageError(`unknown command "drift ${positionals[0]}". Run mlwb drift --help.`);
  if (!values.reference || !values.current)
    throw new UsageError('mlwb drift needs --reference SRC and --current SRC.');
  const record = await api.call(
    'drift.check',
    {
      reference: values.reference,
      current: values.current,
      options: optionsFromFlags(values),
      preset: values.preset,
      save: !values['no-save'],
    },
    { signal, onProgress: (p) => out.progress(`${p.phase}: ${p.message ?? `${p.done}/${p.total ?? '?'}`}`) },
  );
  out.progressDone();
  const json = {
    ...record.report,
    reportId: record.id || null,
    inputs: { reference: record.reference, current: record.current },
  };
  out.result(json, () => humanReport(record.report, record.reference.label, record.current.label));
  if (record.report.datasetDrift) throw new CheckFailed(json);
  return 0;
}

function humanReport(
  r: {
    datasetDrift: boolean;
    share: number;
    driftShare: number;
    drifted: number;
    tested: number;
    reference: { rows: number };
    current: { rows: number };
    columns: {
      column: string;
      type: string;
      method: string;
      statistic: unknown;
      pValue: unknown;
      threshold: number;
      drifted: boolean;
      missingShare: number;
    }[];
    warnings: string[];
  },
  ref: string,
  cur: string,
): string {
  return [
    `${r.datasetDrift ? 'DATASET DRIFT' : 'No dataset drift'}: ${r.drifted} of ${r.tested} columns drifted (share ${r.share.toFixed(2)}, threshold ${r.driftShare})`,
    `reference ${ref} (${r.reference.rows} rows) → current ${cur} (${r.current.rows} rows)`,
    '',
    table(
      ['COLUMN', 'TYPE', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', 'DRIFT', 'MISSING'],
      r.columns.map((c) => [
        c.column,
        c.type,
        c.method,
        fmt(c.statistic),
        fmt(c.pValue),
        fmt(c.threshold),
        c.drifted ? 'yes' : 'no',
        `${(c.missingShare * 100).toFixed(1)}%`,
      ]),
    ),
    ...r.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}
