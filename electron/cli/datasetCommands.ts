/** `mlwb dataset …`, `mlwb verify`, `mlwb gc`: thin wrappers over the API. */
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { AddResult } from '../../shared/datasets.ts';
import type { Api } from '../core/api.ts';
import { CheckFailed, formatBytes, formatTime, type Out, table, UsageError } from './output.ts';

export const datasetHelp = `Usage: mlwb dataset <command>

  add NAME PATH… [--message TEXT]   make a new version from files and folders
  list                               list datasets
  versions NAME                      list a dataset's versions
  show NAME[@V]                      the files of a version (latest when @V is omitted)
  diff NAME V1 V2 [--key COL]        files and table rows that changed between two versions
  profile NAME[@V]                   schema and per-column statistics of the tabular files
  export NAME[@V] DIR [--link]       materialize a version into an empty folder: copies (reflinks
                                     where the filesystem can); --link makes read-only hard links to
                                     the stored files instead — no space used, but editing one after
                                     making it writable damages the store`;

/** NAME or NAME@V. */
export function parseRef(ref: string): { name: string; version?: number } {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: ref };
  const v = ref.slice(at + 1);
  if (!/^[1-9][0-9]*$/.test(v))
    throw new UsageError(`"${ref}": the version after @ must be a number like 3.`);
  return { name: ref.slice(0, at), version: Number(v) };
}

function positiveInt(s: string | undefined, what: string): number {
  if (!s || !/^[1-9][0-9]*$/.test(s))
    throw new UsageError(`${what} must be a version number like 2, not "${s ?? ''}".`);
  return Number(s);
}

const progressLine = (p: { phase: string; done: number; total: number | null; message?: string }) =>
  p.total
    ? `${p.phase}: ${formatBytes(p.done)} of ${formatBytes(p.total)} (${p.message ?? ''})`
    : `${p.phase}: ${p.message ?? ''}`;

/** Below this many files an add's walk takes a few milliseconds: not worth watching. */
const WATCH_MIN_FILES = 1000;

/** What `mlwb dataset add` prints for its result, without --json. */
export function addText(r: AddResult): string {
  return [
    r.created
      ? `${r.dataset}@${r.version}: ${r.files} files, ${formatBytes(r.bytes)} (${formatBytes(r.newBytes)} new in the store)`
      : `${r.dataset}@${r.version} unchanged: the content equals the latest version; no new version made.`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

export async function datasetCommand(
  api: Api,
  argv: string[],
  out: Out,
  signal: AbortSignal,
  ctx: { home: string; entry: string | undefined },
): Promise<number> {
  const [sub, ...rest] = argv;
  const args = (options: ParseArgsConfig['options'] = {}) =>
    parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  switch (sub) {
    case 'add': {
      const { values, positionals } = args({ message: { type: 'string', short: 'm' } });
      const [name, ...paths] = positionals;
      if (!name || paths.length === 0)
        throw new UsageError('usage: mlwb dataset add NAME PATH… [--message TEXT]');
      const r = await api.call(
        'datasets.add',
        { name, paths, message: (values.message as string | undefined) ?? '' },
        { signal, onProgress: (p) => out.progress(progressLine(p)) },
      );
      out.progressDone();
      out.result(r, () => addText(r));
      if (r.files >= WATCH_MIN_FILES) {
        // The next add of these inputs can be answered without listing them (sourceWatchProcess.ts).
        const { watchAfterAdd } = await import('./sourceWatchProcess.ts');
        const set = { dataset: r.dataset, paths: paths.map((p) => path.resolve(p)) };
        await watchAfterAdd(ctx.home, ctx.entry, set);
      }
      return 0;
    }
    case 'list': {
      args();
      const r = await api.call('datasets.list', {});
      out.list('datasets', r, () =>
        r.length === 0
          ? 'No datasets yet. Add one with: mlwb dataset add NAME PATH…'
          : table(
              ['NAME', 'VERSIONS', 'LATEST', 'FILES', 'SIZE', 'UPDATED'],
              r.map((d) => [
                d.name,
                d.versions,
                d.latest ?? '-',
                d.files,
                formatBytes(d.bytes),
                d.latestAt ? formatTime(d.latestAt) : '-',
              ]),
            ),
      );
      return 0;
    }
    case 'versions': {
      const { positionals } = args();
      if (positionals.length !== 1) throw new UsageError('usage: mlwb dataset versions NAME');
      const r = await api.call('datasets.versions', { name: positionals[0]! });
      out.list('versions', r, () =>
        table(
          ['VERSION', 'CREATED', 'FILES', 'SIZE', 'NEW', 'MESSAGE'],
          r.map((v) => [
            v.version,
            formatTime(v.createdAt),
            v.files,
            formatBytes(v.bytes),
            formatBytes(v.newBytes),
            v.message,
          ]),
        ),
      );
      return 0;
    }
    case 'show': {
      const { positionals } = args();
      if (positionals.length !== 1) throw new UsageError('usage: mlwb dataset show NAME[@V]');
      const r = await api.call('datasets.show', parseRef(positionals[0]!));
      out.result(r, () =>
        [
          `${r.dataset}@${r.version}  ${formatTime(r.createdAt)}  ${r.files} files, ${formatBytes(r.bytes)}  ${r.message}`,
          `digest ${r.digest}`,
          '',
          table(
            ['PATH', 'SIZE', 'SHA256', 'MODE'],
            r.entries.map((e) => [e.path, formatBytes(e.size), e.sha256.slice(0, 12), e.mode.toString(8)]),
          ),
        ].join('\n'),
      );
      return 0;
    }
    case 'diff': {
      const { values, positionals } = args({ key: { type: 'string' } });
      if (positionals.length !== 3) throw new UsageError('usage: mlwb dataset diff NAME V1 V2 [--key COL]');
      const r = await api.call(
        'datasets.diff',
        {
          name: positionals[0]!,
          from: positiveInt(positionals[1], 'V1'),
          to: positiveInt(positionals[2], 'V2'),
          key: values.key as string | undefined,
        },
        { signal },
      );
      out.result(r, () => {
        const lines = [
          ...r.files.added.map((p) => `+ ${p}`),
          ...r.files.removed.map((p) => `- ${p}`),
          ...r.files.modified.map((p) => `M ${p}`),
          `${r.files.unchanged} unchanged`,
        ];
        for (const t of r.tables) {
          lines.push('', `${t.path}:`);
          if (t.error) lines.push(`  ${t.error}`);
          if (t.schema.addedColumns.length)
            lines.push(`  columns added: ${t.schema.addedColumns.join(', ')}`);
          if (t.schema.removedColumns.length)
            lines.push(`  columns removed: ${t.schema.removedColumns.join(', ')}`);
          for (const c of t.schema.typeChanges) lines.push(`  ${c.column}: ${c.from} → ${c.to}`);
          const changed =
            t.rows.changed === null ? '' : `, ${t.rows.changed} changed, ${t.rows.unchanged} unchanged`;
          lines.push(`  rows: ${t.rows.added} added, ${t.rows.removed} removed${changed}`);
        }
        return lines.join('\n');
      });
      return 0;
    }
    case 'profile': {
      const { positionals } = args();
      if (positionals.length !== 1) throw new UsageError('usage: mlwb dataset profile NAME[@V]');
      const r = await api.call('datasets.profile', parseRef(positionals[0]!), { signal });
      out.result(r, () => {
        if (r.tables.length === 0)
          return `${r.dataset}@${r.version} has no tabular files (CSV, TSV, Parquet, JSON Lines).`;
        return r.tables
          .map((t) =>
            t.error
              ? `${t.path}: ${t.error}`
              : [
                  `${t.path}: ${t.rows} rows, ${t.columns.length} columns${t.warnings.length ? ` (${t.warnings.join(' ')})` : ''}`,
                  table(
                    ['COLUMN', 'TYPE', 'MISSING', 'DISTINCT', 'MIN', 'MAX', 'MEAN', 'STD'],
                    t.columns.map((c) => [
                      c.name,
                      c.type,
                      c.missing,
                      c.distinct,
                      fmt(c.min),
                      fmt(c.max),
                      fmt(c.mean),
                      fmt(c.std),
                    ]),
                  ),
                ].join('\n'),
          )
          .join('\n\n');
      });
      return 0;
    }
    case 'export': {
      const { values, positionals } = args({ link: { type: 'boolean' } });
      if (positionals.length !== 2) throw new UsageError('usage: mlwb dataset export NAME[@V] DIR [--link]');
      const r = await api.call(
        'datasets.export',
        { ...parseRef(positionals[0]!), dir: positionals[1]!, links: Boolean(values.link) },
        { signal, onProgress: (p) => out.progress(progressLine(p)) },
      );
      out.progressDone();
      out.result(r, () =>
        [
          `Exported ${r.files} files (${formatBytes(r.bytes)}) to ${r.dir}`,
          ...(r.method.hardlink
            ? [
                'note: hard links share the stored files: keep them read-only (editing one changes the store).',
              ]
            : []),
        ].join('\n'),
      );
      return 0;
    }
    case undefined:
    case 'help':
      out.result({ help: datasetHelp }, () => datasetHelp);
      return sub === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "dataset ${sub}". Run mlwb dataset help.`);
  }
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  return String(v).slice(0, 24);
}

export async function verifyCommand(
  api: Api,
  argv: string[],
  out: Out,
  signal: AbortSignal,
): Promise<number> {
  parseArgs({ args: argv, options: {}, allowPositionals: false, strict: true });
  const r = await api.call('store.verify', {}, { signal, onProgress: (p) => out.progress(progressLine(p)) });
  out.progressDone();
  out.result(r, () =>
    [
      `${r.objects} objects checked`,
      ...r.missing.map((d) => `missing: ${d}${usedBy(r.usedBy[d])}`),
      ...r.corrupt.map((d) => `corrupt: ${d}${usedBy(r.usedBy[d])}`),
      r.missing.length + r.corrupt.length === 0
        ? 'The store is intact.'
        : 'The store is damaged: the files named above no longer hold what was stored.',
    ].join('\n'),
  );
  if (r.missing.length + r.corrupt.length > 0) throw new CheckFailed(r);
  return 0;
}

function usedBy(users: string[] | undefined): string {
  return users?.length ? `\n  used by ${users.join('\n          ')}` : '';
}

export async function gcCommand(api: Api, argv: string[], out: Out): Promise<number> {
  parseArgs({ args: argv, options: {}, allowPositionals: false, strict: true });
  const r = await api.call('store.gc', {});
  out.result(r, () => `Removed ${r.removed} unreferenced files, freed ${formatBytes(r.freedBytes)}.`);
  return 0;
}
