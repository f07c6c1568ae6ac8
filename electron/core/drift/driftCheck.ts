/**
 * The drift check: reference against current, column by column, into the report of shared/drift.ts.
 *
 * Guarantees: the report parses against `DriftReport` (shared/drift.ts); a column that cannot be
 * tested is reported with the reason instead of failing the check; schema differences (columns
 * missing or new, type changes, new categories, missing-share jumps) are reported, never thrown.
 * What is thrown is input the check cannot mean anything for — no rows, no shared column, an
 * option naming a column that exists nowhere — as an INVALID_INPUT error saying what to fix.
 */
import {
  type DriftColumnResult,
  DriftOptions,
  type DriftOptionsInput,
  type DriftProgress,
  type DriftReport,
  type SchemaChecks,
} from '../../../shared/drift.ts';
import { cancelled, invalidInput } from '../errors.ts';
import { analyzeColumn, type ColumnOutcome, type ColumnPlan } from './columnDrift.ts';
import type { DriftDataset } from './columnSource.ts';
import { type DriftFile, type FileDatasetOptions, openFileDataset } from './driftSource.ts';
import { type ColumnSet, memoryDataset } from './memoryColumns.ts';

export interface DriftHooks {
  onProgress?: (progress: DriftProgress) => void;
  signal?: AbortSignal;
}

/** Drift between two in-memory column sets (`{ column: values[] }` or a Map). */
export async function driftCheck(
  reference: ColumnSet,
  current: ColumnSet,
  options: DriftOptionsInput = {},
  hooks: DriftHooks = {},
): Promise<DriftReport> {
  const dataset = memoryDataset(reference, current);
  try {
    return await runDriftCheck(dataset, options, hooks);
  } finally {
    await dataset.close();
  }
}

/** Drift over any dataset source (memory, DuckDB). The caller closes the dataset. */
export async function runDriftCheck(
  dataset: DriftDataset,
  optionsInput: DriftOptionsInput = {},
  hooks: DriftHooks = {},
): Promise<DriftReport> {
  const options = DriftOptions.parse(optionsInput);
  const { reference, current } = dataset;
  if (reference.rows === 0)
    throw invalidInput('The reference data has no rows. Pick a reference with at least one row.');
  if (current.rows === 0)
    throw invalidInput('The current data has no rows. Pick current data with at least one row.');

  const inRef = new Set(reference.columns);
  const inCur = new Set(current.columns);
  checkNamedColumns(options, inRef, inCur);

  const selected = options.columns ? new Set(options.columns) : null;
  const wanted = (c: string) => !selected || selected.has(c);
  const shared = reference.columns.filter((c) => inCur.has(c) && wanted(c));
  const schema: SchemaChecks = {
    missingColumns: reference.columns.filter((c) => !inCur.has(c) && wanted(c)),
    newColumns: current.columns.filter((c) => !inRef.has(c) && wanted(c)),
    typeChanges: [],
    newCategories: [],
    missingShareJumps: [],
  };
  if (shared.length === 0) {
    throw invalidInput(
      `Reference and current have no column in common to compare (reference: ${list(reference.columns)}; current: ${list(current.columns)}). Check that both are the same table${selected ? ' and that the columns option names columns they share' : ''}.`,
    );
  }

  const rows = { reference: reference.rows, current: current.rows };
  hooks.onProgress?.({ phase: 'columns', done: 0, total: shared.length });
  const outcomes = await analyzeAll(
    shared,
    async (name) => {
      const column = dataset.column(name);
      try {
        return await analyzeColumn(column, planFor(name, options), rows);
      } finally {
        column.release?.();
      }
    },
    hooks,
  );
  const columns: DriftColumnResult[] = outcomes.map((o) => o.result);
  const warnings = outcomes.flatMap((o) => o.warnings);

  for (const c of columns) {
    const { reference: from, current: to } = c.storage;
    if (from !== to && from !== 'empty' && to !== 'empty')
      schema.typeChanges.push({ column: c.column, from, to });
    if (c.newCategoryCount > 0)
      schema.newCategories.push({ column: c.column, values: c.newCategories, count: c.newCategoryCount });
    if (Math.abs(c.missingShare - c.referenceMissingShare) >= options.missingShareJump) {
      schema.missingShareJumps.push({
        column: c.column,
        reference: c.referenceMissingShare,
        current: c.missingShare,
      });
    }
    if (c.skipped) warnings.push(c.skipped);
  }
  if (schema.missingColumns.length) {
    warnings.push(`Not in the current data, so not tested: ${list(schema.missingColumns)}.`);
  }
  if (schema.newColumns.length)
    warnings.push(`Only in the current data, so not tested: ${list(schema.newColumns)}.`);

  const tested = columns.filter((c) => c.skipped === null).length;
  const drifted = columns.filter((c) => c.drifted).length;
  const share = tested > 0 ? drifted / tested : 0;
  hooks.onProgress?.({ phase: 'done', done: shared.length, total: shared.length });
  return {
    datasetDrift: tested > 0 && share >= options.driftShare,
    share,
    driftShare: options.driftShare,
    reference: { rows: reference.rows },
    current: { rows: current.rows },
    columns,
    tested,
    drifted,
    schema,
    warnings,
  };
}

/** Columns in flight at once: DuckDB prepares one while JavaScript computes on the other. */
const COLUMN_CONCURRENCY = 2;

/** Runs `analyze` over the columns a few at a time, keeping their order and stopping on error or abort. */
async function analyzeAll(
  names: string[],
  analyze: (name: string) => Promise<ColumnOutcome>,
  hooks: DriftHooks,
): Promise<ColumnOutcome[]> {
  const outcomes: ColumnOutcome[] = new Array(names.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const lane = async () => {
    while (next < names.length && !failed) {
      if (hooks.signal?.aborted) throw cancelled('The drift check was cancelled.');
      const k = next++;
      outcomes[k] = await analyze(names[k]!);
      done++;
      hooks.onProgress?.({ phase: 'columns', done, total: names.length, message: names[k] });
    }
  };
  // Every lane settles before an error surfaces, so nothing still queries a closed source.
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(COLUMN_CONCURRENCY, names.length) }, () =>
      lane().catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const failure = settled.find((s) => s.status === 'rejected');
  // An interrupted DuckDB query fails with its own error; the user asked for a cancellation.
  if (failure && hooks.signal?.aborted) throw cancelled('The drift check was cancelled.');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return outcomes;
}

function planFor(name: string, options: DriftOptions): ColumnPlan {
  const perColumn = options.methods[name];
  return {
    method: perColumn ?? options.method,
    methodForColumn: perColumn !== undefined,
    threshold: options.thresholds[name] ?? options.threshold,
    columnType: options.columnTypes[name],
  };
}

/** A column named in an option but present on neither side is almost always a typo. */
function checkNamedColumns(options: DriftOptions, inRef: Set<string>, inCur: Set<string>) {
  const named = new Map<string, string>();
  for (const c of options.columns ?? []) named.set(c, 'columns');
  for (const c of Object.keys(options.methods)) named.set(c, 'method');
  for (const c of Object.keys(options.thresholds)) named.set(c, 'threshold');
  for (const c of Object.keys(options.columnTypes)) named.set(c, 'column type');
  const unknown = [...named].filter(([c]) => !inRef.has(c) && !inCur.has(c));
  if (unknown.length) {
    const [first, where] = unknown[0]!;
    throw invalidInput(
      `Column "${first}" (named in the ${where} options) is in neither the reference nor the current data. Columns are: ${list([...inRef])}.`,
    );
  }
}

function list(names: string[]): string {
  const shown = names.slice(0, 20).map((n) => `"${n}"`);
  return names.length > 20
    ? `${shown.join(', ')} and ${names.length - 20} more`
    : shown.join(', ') || '(none)';
}

/** Drift between two files (CSV, TSV, Parquet, JSON Lines), read with DuckDB. */
export async function driftCheckFiles(
  reference: DriftFile | string,
  current: DriftFile | string,
  options: DriftOptionsInput = {},
  hooks: DriftHooks & Omit<FileDatasetOptions, 'signal'> = {},
): Promise<DriftReport> {
  hooks.onProgress?.({ phase: 'load', done: 0, total: 2, message: 'Reading reference and current data' });
  const dataset = await openFileDataset(reference, current, { ...hooks });
  try {
    return await runDriftCheck(dataset, options, hooks);
  } finally {
    await dataset.close();
  }
}
