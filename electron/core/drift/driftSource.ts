/**
 * Drift data from files — CSV, TSV, Parquet, JSON Lines (optionally gzipped) — read by DuckDB.
 *
 * Two plain CSV/TSV files (the common case, see csvScan.ts) are read in one pass each, at once, in
 * JavaScript, with the dialect and column types DuckDB's sniffer gives them (scannedColumns.ts).
 * Otherwise, and for the columns a scan cannot answer, DuckDB does the scanning and the heavy
 * lifting: text formats are parsed once into tables of an in-memory DuckDB database that spills
 * to a private temporary folder past `memory_limit`, Parquet is queried in place. The engine then
 * asks per column for counts per value (GROUP BY in DuckDB) or for the numbers (one sorted
 * Float64Array per side, see duckdbNumbers.ts), so JavaScript holds a column or two at a time,
 * never the table.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { StorageKind } from '../../../shared/drift.ts';
import { cancelled, describeSystemError, invalidInput, notFound, WorkbenchError } from '../errors.ts';
import { type CategoryValue, mergeCounts } from '../statistics/categoryCounts.ts';
import { loadDuckDb } from '../tabular/duckdb.ts';
import { ArrayPool } from './arrayPool.ts';
import type {
  DomainCounts,
  DriftColumnSource,
  DriftDataset,
  DriftSide,
  SortedNumbers,
  ValueDomain,
} from './columnSource.ts';
import { type CsvLayout, SCANNED_TYPES, type ScannedType, scanCsv } from './csvScan.ts';
import { type CsvScanner, isPlainTextTable, startCsvScanner } from './csvScanner.ts';
import { approxDistinctCounts, type FiniteNumbers, readSortedNumbers } from './duckdbNumbers.ts';
import { type ScannedSide, scannedDataset } from './scannedColumns.ts';

export type DriftFileFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl';

export interface DriftFile {
  path: string;
  /** Inferred from the extension when absent. */
  format?: DriftFileFormat;
}

export interface FileDatasetOptions {
  /** DuckDB's memory cap (default '1GB'); beyond it DuckDB spills to its temporary folder. */
  memoryLimit?: string;
  threads?: number;
  signal?: AbortSignal;
  /** Read plain CSV/TSV files in JavaScript (csvScan.ts); false has DuckDB read every file. */
  scanCsv?: boolean;
  /**
   * A scanner thread started beforehand (the drift worker starts one before DuckDB has loaded).
   * Taken over: it is stopped once the files are read.
   */
  scanner?: CsvScanner;
}

const SIDES = { reference: 'ref', current: 'cur' } as const;
type Side = keyof typeof SIDES;

export function formatOf(path: string): DriftFileFormat | null {
  const name = basename(path)
    .toLowerCase()
    .replace(/\.(gz|zst)$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv') || name.endsWith('.tab')) return 'tsv';
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson') || name.endsWith('.json')) return 'jsonl';
  return null;
}

/** Opens both files as a drift dataset; the caller must `close()` it. */
export async function openFileDataset(
  reference: DriftFile | string,
  current: DriftFile | string,
  options: FileDatasetOptions = {},
): Promise<DriftDataset> {
  if (options.signal?.aborted) {
    options.scanner?.stop();
    throw cancelled('The drift check was cancelled.');
  }
  let files: Record<Side, Required<DriftFile>>;
  try {
    files = {
      reference: await checkFile(
        typeof reference === 'string' ? { path: reference } : reference,
        'reference',
      ),
      current: await checkFile(typeof current === 'string' ? { path: current } : current, 'current'),
    };
  } catch (err) {
    options.scanner?.stop();
    throw err;
  }
  const workDir = await mkdtemp(join(tmpdir(), 'mlwb-drift-'));
  let instance: DuckDBInstance | undefined;
  let pool: ConnectionPool | undefined;
  const onAbort = () => pool?.interruptAll();
  options.signal?.addEventListener('abort', onAbort);
  const closeAll = async () => {
    options.signal?.removeEventListener('abort', onAbort);
    pool?.closeAll();
    instance?.closeSync();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    // In memory (a file-backed database measured 2–3× slower to load), spilling to the private
    // folder once `memory_limit` is reached.
    const { DuckDBInstance } = await loadDuckDb();
    instance = await DuckDBInstance.create(':memory:', {
      temp_directory: join(workDir, 'spill'),
      memory_limit: options.memoryLimit ?? '1GB',
      // Row order means nothing to a drift check; not keeping it saves ~18% of the load's CPU.
      preserve_insertion_order: 'false',
      ...(options.threads ? { threads: String(options.threads) } : {}),
    });
    const db = new ConnectionPool(instance);
    pool = db;
    const loadTables = () => tablesOf(db, files, closeAll);
    const scanned =
      options.scanCsv === false ? null : await scanPlainCsvs(db, files, options.signal, options.scanner);
    if (scanned) {
      let tables: Promise<DriftDataset> | undefined;
      return scannedDataset(scanned.reference, scanned.current, () => (tables ??= loadTables()), closeAll);
    }
    return await loadTables();
  } catch (err) {
    await closeAll();
    if (options.signal?.aborted) throw cancelled('The drift check was cancelled.');
    throw err;
  } finally {
    options.scanner?.stop();
  }
}

/** Both sides as DuckDB tables (or Parquet views). */
async function tablesOf(
  db: ConnectionPool,
  files: Record<Side, Required<DriftFile>>,
  close: () => Promise<void>,
): Promise<DriftDataset> {
  // The two sides load concurrently: DuckDB's CSV reader leaves cores idle between its phases.
  const [reference, current] = await settleAll(
    (['reference', 'current'] as const).map((side) => db.use((c) => loadSide(c, side, files[side]))),
  );
  const sides = { reference: reference!, current: current! };
  const arrays = new ArrayPool();
  return {
    reference: sides.reference,
    current: sides.current,
    readBy: 'duckdb',
    column: (name) => columnSource(db, name, sides, arrays),
    close,
  };
}

/**
 * Both files read by csvScan.ts, this thread reading one and a scanner thread the other, or null
 * when either is not a plain CSV/TSV file (then DuckDB reads both).
 */
async function scanPlainCsvs(
  db: ConnectionPool,
  files: Record<Side, Required<DriftFile>>,
  signal?: AbortSignal,
  started?: CsvScanner,
): Promise<Record<Side, ScannedSide> | null> {
  if (!isPlainTextTable(files.reference) || !isPlainTextTable(files.current)) return null;
  const scanner = started ?? startCsvScanner();
  try {
    const [reference, current] = await settleAll(
      (['reference', 'current'] as const).map((side) => db.use((c) => plainCsvLayout(c, files[side]))),
    );
    if (!reference || !current) return null;
    // The scanner's file first: this thread's scan holds the thread until its first chunk is read.
    // A scanner thread that fails (out of memory, its module missing) leaves the files to DuckDB.
    const scannedCurrent = scanner.scan(current.layout, signal).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      return null;
    });
    const [cur, ref] = await settleAll([scannedCurrent, scanCsv(reference.layout, signal)]);
    if (!ref || !cur) return null;
    return {
      reference: { scan: ref, names: reference.names, kinds: reference.layout.types.map(kindOf) },
      current: { scan: cur, names: current.names, kinds: current.layout.types.map(kindOf) },
    };
  } finally {
    scanner.stop();
  }
}

/**
 * DuckDB's sniffer on the file, with the options read_csv gets here (so the same dialect and
 * types), as a layout csvScan.ts can read; null when the file needs more than it reads.
 */
async function plainCsvLayout(
  db: DuckDBConnection,
  file: Required<DriftFile>,
): Promise<{ layout: CsvLayout; names: string[] } | null> {
  const delim = file.format === 'tsv' ? ", delim = '\t'" : '';
  let sniffed: Record<string, unknown>;
  try {
    sniffed = (
      await db.runAndReadAll(
        `SELECT * FROM sniff_csv(${quoteString(file.path)}, header = true, ${CSV_BUFFER}${delim})`,
      )
    ).getRowObjectsJS()[0]!;
  } catch {
    return null; // DuckDB's own read of the file says what is wrong with it
  }
  const columns = (sniffed.Columns ?? []) as { name: string; type: string }[];
  const plain =
    typeof sniffed.Delimiter === 'string' &&
    sniffed.Delimiter.length === 1 &&
    (sniffed.Quote === '"' || sniffed.Quote === '(empty)') &&
    (sniffed.Escape === '"' || sniffed.Escape === '(empty)') &&
    (sniffed.NewLineDelimiter === '\\n' || sniffed.NewLineDelimiter === '\\r\\n') &&
    sniffed.Comment === '(empty)' &&
    Number(sniffed.SkipRows) === 0 &&
    sniffed.HasHeader === true &&
    columns.length > 0 &&
    columns.every((c) => (SCANNED_TYPES as readonly string[]).includes(c.type));
  if (!plain) return null;
  return {
    names: columns.map((c) => c.name),
    layout: {
      path: file.path,
      delimiter: sniffed.Delimiter as string,
      quote: sniffed.Quote === '"' ? '"' : '',
      crlf: sniffed.NewLineDelimiter === '\\r\\n',
      types: columns.map((c) => c.type as ScannedType),
    },
  };
}

async function checkFile(file: DriftFile, side: Side): Promise<Required<DriftFile>> {
  try {
    const s = await stat(file.path);
    if (!s.isFile())
      throw invalidInput(
        `The ${side} data at ${file.path} is not a file. Point to a CSV, TSV, Parquet or JSON Lines file.`,
      );
  } catch (err) {
    if (err instanceof WorkbenchError) throw err;
    const sys = err as NodeJS.ErrnoException;
    if (sys.code === 'ENOENT')
      throw notFound(`There is no ${side} file at ${file.path}. Check the path and try again.`);
    throw new WorkbenchError('IO', `Cannot read the ${side} file: ${describeSystemError(sys)}`);
  }
  const format = file.format ?? formatOf(file.path);
  if (!format) {
    throw invalidInput(
      `Cannot tell the format of the ${side} file ${file.path} from its name. Use a .csv, .tsv, .parquet or .jsonl file.`,
    );
  }
  return { path: file.path, format };
}

/**
 * DuckDB runs one query per connection at a time; a few connections let the two sides of a column,
 * and the next column, be queried while JavaScript computes statistics on the last one.
 */
class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly busy = new Set<DuckDBConnection>();
  constructor(private readonly instance: DuckDBInstance) {}

  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await this.instance.connect());
    this.busy.add(c);
    try {
      return await fn(c);
    } finally {
      this.busy.delete(c);
      this.idle.push(c);
    }
  }

  interruptAll() {
    for (const c of this.busy) c.interrupt();
  }

  closeAll() {
    for (const c of [...this.idle, ...this.busy]) c.closeSync();
    this.idle.length = 0;
    this.busy.clear();
  }
}

interface ColumnInfo {
  kind: StorageKind;
  /** DOUBLE/FLOAT columns, where NaN counts as missing. */
  floating: boolean;
  missing: number;
  /** DuckDB's estimate of the distinct values (table statistics), when it has one. */
  approxDistinct: number | null;
}

interface DuckDBSide extends DriftSide {
  table: string;
  info: Map<string, ColumnInfo>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * DuckDB's CSV reader reads into buffers of 16 × max_line_size (32 MiB) by default, each one fresh
 * memory: on the 130 MB bench files that was ~90 MB of page faults per file. 2 MiB buffers parse
 * the same file with ~1 s less CPU, and accept every line the default does (lines up to the
 * 2 MiB max_line_size; smaller buffers refuse lines longer than themselves).
 */
const CSV_BUFFER = `buffer_size = ${2 * 1024 * 1024}`;

function scanSql(file: Required<DriftFile>): string {
  const path = quoteString(file.path);
  switch (file.format) {
    case 'csv':
      return `read_csv(${path}, header = true, ${CSV_BUFFER})`;
    case 'tsv':
      return `read_csv(${path}, header = true, delim = '\t', ${CSV_BUFFER})`;
    case 'jsonl':
      // 'auto' also accepts a .json file holding one array of records.
      return `read_json(${path}, format = 'auto')`;
    case 'parquet':
      return `read_parquet(${path})`;
  }
}

async function loadSide(db: DuckDBConnection, side: Side, file: Required<DriftFile>): Promise<DuckDBSide> {
  const table = SIDES[side];
  // Parquet is columnar and cheap to rescan per column; text formats are parsed exactly once.
  const create = file.format === 'parquet' ? 'VIEW' : 'TABLE';
  try {
    await db.run(`CREATE ${create} ${table} AS SELECT * FROM ${scanSql(file)}`);
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw invalidInput(
      `Could not read the ${side} file ${file.path} as ${file.format.toUpperCase()}: ${detail}. Check that it is a valid ${file.format.toUpperCase()} file${file.format === 'csv' || file.format === 'tsv' ? ' with a header row' : ''}.`,
    );
  }
  const described = (await db.runAndReadAll(`DESCRIBE ${table}`)).getRowObjectsJS();
  const columns = described.map((r) => String(r.column_name));
  const types = described.map((r) => String(r.column_type));
  const floating = types.map((t) => t === 'DOUBLE' || t === 'FLOAT');
  const measures = columns.flatMap((c, k) => {
    const q = quoteIdent(c);
    return [`count(${q})`, floating[k] ? `count(*) FILTER (WHERE isnan(${q}))` : '0'];
  });
  const counts = (
    await db.runAndReadAll(`SELECT count(*), ${measures.join(', ') || '0, 0'} FROM ${table}`)
  ).getRowsJS()[0]!;
  const rows = Number(counts[0]);
  const distinct = rows > 0 ? await approxDistinctCounts(db, table, columns) : columns.map(() => null);
  const info = new Map<string, ColumnInfo>();
  const storage = new Map<string, StorageKind>();
  columns.forEach((c, k) => {
    const present = Number(counts[1 + 2 * k]) - Number(counts[2 + 2 * k]);
    const kind: StorageKind = present === 0 ? 'empty' : kindOf(types[k]!);
    info.set(c, {
      kind,
      floating: floating[k]!,
      missing: rows - present,
      approxDistinct: distinct[k] ?? null,
    });
    storage.set(c, kind);
  });
  return { table, rows, columns, storage, info };
}

function kindOf(sqlType: string): StorageKind {
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL)/.test(sqlType)) return 'float';
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|UHUGEINT)$/.test(sqlType)) return 'integer';
  if (sqlType === 'BOOLEAN') return 'boolean';
  return 'string';
}

/** SQL for a side's present (non-missing) values of a column, in the comparison domain. */
function valueSql(name: string, info: ColumnInfo, domain: ValueDomain): { expr: string; where: string } {
  const q = quoteIdent(name);
  const where = info.floating ? `${q} IS NOT NULL AND NOT isnan(${q})` : `${q} IS NOT NULL`;
  if (domain === 'numeric') {
    // Anything that is not a finite number becomes NULL, i.e. invalid.
    const asDouble =
      info.kind === 'float' || info.kind === 'integer' ? `CAST(${q} AS DOUBLE)` : `TRY_CAST(${q} AS DOUBLE)`;
    return { expr: `CASE WHEN isfinite(${asDouble}) THEN ${asDouble} END`, where };
  }
  if (domain === 'boolean' && info.kind === 'boolean') return { expr: q, where };
  return { expr: `CAST(${q} AS VARCHAR)`, where };
}

/**
 * A side's finite values of a column as rows of one DOUBLE column `v`. Number columns are filtered
 * by isfinite (NULL, NaN and ±Infinity fail it) with no CASE per value: that form costs a third of
 * the general one (measured here: 20 against 58 ms of CPU a column).
 */
function finiteNumbers(name: string, info: ColumnInfo, side: DuckDBSide): FiniteNumbers {
  const q = quoteIdent(name);
  const present = side.rows - info.missing;
  let sql: string;
  if (info.kind === 'float')
    sql = `SELECT CAST(${q} AS DOUBLE) AS v FROM ${side.table} WHERE isfinite(CAST(${q} AS DOUBLE))`;
  else if (info.kind === 'integer')
    sql = `SELECT CAST(${q} AS DOUBLE) AS v FROM ${side.table} WHERE ${q} IS NOT NULL`;
  else {
    const { expr, where } = valueSql(name, info, 'numeric');
    sql = `SELECT v FROM (SELECT ${expr} AS v FROM ${side.table} WHERE ${where}) WHERE v IS NOT NULL`;
  }
  // Text read as numbers keeps to one way: its distinct strings are not its distinct numbers.
  const numeric = info.kind === 'float' || info.kind === 'integer';
  return { sql, present, approxDistinct: numeric ? info.approxDistinct : null };
}

function columnSource(
  db: ConnectionPool,
  name: string,
  sides: Record<Side, DuckDBSide>,
  arrays: ArrayPool,
): DriftColumnSource {
  const info = { reference: sides.reference.info.get(name)!, current: sides.current.info.get(name)! };
  const taken: Float64Array[] = [];
  return {
    name,
    storage: { reference: info.reference.kind, current: info.current.kind },
    missing: { reference: info.reference.missing, current: info.current.missing },

    async categoryCounts(domain: ValueDomain, limit?: number): Promise<DomainCounts | null> {
      const perSide = await settleAll(
        (['reference', 'current'] as const).map(async (side) => {
          const counts = new Map<CategoryValue, number>();
          let invalid = 0;
          if (info[side].kind === 'empty') return { counts, invalid };
          const { expr, where } = valueSql(name, info[side], domain);
          // NULL groups the present values that are invalid in this domain.
          // The subquery keeps the alias from meeting a data column of the same name.
          const sql = `SELECT v, count(*) FROM (SELECT ${expr} AS v FROM ${sides[side].table} WHERE ${where}) GROUP BY 1${
            limit === undefined ? '' : ` LIMIT ${limit + 2}`
          }`;
          const rows = (await db.use((c) => c.runAndReadAll(sql))).getRowsJS();
          for (const [v, n] of rows) {
            if (v === null) invalid = Number(n);
            // Two groups can meet as one value: @duckdb/node-api drops a leading U+FEFF.
            else counts.set(v as CategoryValue, (counts.get(v as CategoryValue) ?? 0) + Number(n));
          }
          return { counts, invalid };
        }),
      );
      const [ref, cur] = perSide as [(typeof perSide)[0], (typeof perSide)[0]];
      if (limit !== undefined && (ref.counts.size > limit || cur.counts.size > limit)) return null;
      const merged = mergeCounts(ref.counts, cur.counts);
      if (limit !== undefined && merged.values.length > limit) return null;
      return { ...merged, invalid: { reference: ref.invalid, current: cur.invalid } };
    },

    async sortedNumbers(): Promise<SortedNumbers> {
      const [reference, current] = await settleAll(
        (['reference', 'current'] as const).map(async (side) => {
          if (info[side].kind === 'empty') return { values: new Float64Array(0), invalid: 0 };
          const numbers = finiteNumbers(name, info[side], sides[side]);
          const values = await db.use((c) => readSortedNumbers(c, numbers, arrays));
          taken.push(values);
          return { values, invalid: sides[side].rows - info[side].missing - values.length };
        }),
      );
      return {
        reference: reference!.values,
        current: current!.values,
        invalid: { reference: reference!.invalid, current: current!.invalid },
      };
    },

    release() {
      for (const a of taken.splice(0)) arrays.give(a);
    },
  };
}

/**
 * Promise.all that waits for every query before rejecting: when one side fails, the other's query
 * must finish before the database is closed, since closing DuckDB under a running query can crash
 * the process.
 */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
