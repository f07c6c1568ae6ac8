/**
 * The dataset feature as the API sees it: versions, their content, profiles, diffs and exports.
 * Profiles are cached by blob digest (a profile is a function of content and format), so opening a
 * version twice, or two versions sharing a file, profiles it once.
 */
import type {
  DiffResult,
  ExportResult,
  ProfileResult,
  TableDiff,
  TableProfile,
  TableRows,
  VersionDetail,
} from '../../../shared/datasets.ts';
import { DatasetName, NewDatasetName } from '../../../shared/datasets.ts';
import { invalidInput, notFound } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Db } from '../store/database.ts';
import type { Duck } from '../tabular/duckdb.ts';
import { diffTable } from '../tabular/tableDiff.ts';
import { scanSql, tableFormatOf } from '../tabular/tableFormat.ts';
import { profileTable } from '../tabular/tableProfiler.ts';
import { DatasetRepo } from './datasetRepo.ts';
import { exportVersion } from './exporter.ts';
import { type IngestResult, ingest } from './ingest.ts';

/** Bump when the profile's content or computation changes, so cached profiles are recomputed. */
const PROFILE_ENGINE = 'duckdb-profile-1';

export class DatasetService {
  readonly repo: DatasetRepo;

  constructor(
    private readonly db: Db,
    private readonly objects: ObjectStore,
    private readonly workers: StoreWorkers,
    private readonly duck: Duck,
  ) {
    this.repo = new DatasetRepo(db);
  }

  list() {
    return this.repo.list();
  }

  versions(name: string) {
    return this.repo.versions(name);
  }

  show(name: string, version?: number): VersionDetail {
    const v = this.repo.version(name, version);
    const { id, ...summary } = v;
    return { ...summary, entries: this.repo.entries(id) };
  }

  async add(
    req: { name: string; paths: string[]; message: string; useStatCache?: boolean },
    ctx: OpContext,
  ): Promise<IngestResult> {
    // A new dataset's name meets today's rules; an existing one keeps the name it was made with.
    const schema = this.repo.exists(req.name) ? DatasetName : NewDatasetName;
    const name = schema.safeParse(req.name);
    if (!name.success) throw invalidInput(name.error.issues.map((i) => i.message).join(' '));
    return ingest({ db: this.db, workers: this.workers, repo: this.repo }, req, ctx);
  }

  async profile(name: string, version?: number, signal?: AbortSignal): Promise<ProfileResult> {
    const v = this.show(name, version);
    const tables: TableProfile[] = [];
    for (const e of v.entries) {
      const format = tableFormatOf(e.path);
      if (!format) continue;
      const cached = this.repo.cachedProfile(e.sha256, format, PROFILE_ENGINE);
      if (cached) {
        tables.push({ ...cached, path: e.path });
        continue;
      }
      const profile = await profileTable(this.duck, this.objects.pathFor(e.sha256), e.path, format, signal);
      this.repo.saveProfile(e.sha256, format, PROFILE_ENGINE, profile);
      tables.push(profile);
    }
    return { dataset: name, version: v.version, tables };
  }

  /** A page of rows of one table of a version, in file order. */
  async rows(
    p: {
      name: string;
      version?: number | undefined;
      path?: string | undefined;
      offset: number;
      limit: number;
    },
    signal?: AbortSignal,
  ): Promise<TableRows> {
    const v = this.show(p.name, p.version);
    const tables = v.entries.filter((e) => tableFormatOf(e.path));
    const entry = p.path ? tables.find((e) => e.path === p.path) : tables[0];
    if (!entry)
      throw notFound(
        p.path
          ? `${p.name}@${v.version} has no table ${p.path}. Its tables: ${tables.map((e) => e.path).join(', ') || 'none'}.`
          : `${p.name}@${v.version} has no table (CSV, TSV, Parquet or JSON Lines) to read rows from.`,
      );
    const format = tableFormatOf(entry.path)!;
    const file = this.objects.pathFor(entry.sha256);
    return this.duck.withConnection(async (c) => {
      const scan = scanSql(file, format);
      const total = Number(
        (await c.runAndReadAll(`SELECT count(*) AS n FROM ${scan}`)).getRowObjects()[0]!.n,
      );
      const reader = await c.runAndReadAll(`SELECT * FROM ${scan} LIMIT ${p.limit} OFFSET ${p.offset}`);
      const columns = reader.columnNames();
      // DuckDB's JSON form gives big integers and decimals as strings: numbers again, for numeric
      // columns only (a text column's "00123" stays text).
      const numeric = reader
        .columnTypes()
        .map((t) =>
          /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)/.test(t.toString()),
        );
      const rows = reader.getRowObjectsJson().map((r) => {
        const out: Record<string, number | string | boolean | null> = {};
        for (const [i, col] of columns.entries()) {
          const x = (r as Record<string, unknown>)[col];
          out[col] =
            numeric[i] && typeof x === 'string' && Number.isFinite(Number(x))
              ? Number(x)
              : typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string' || x === null
                ? x
                : JSON.stringify(x);
        }
        return out;
      });
      return { path: entry.path, columns, rows, offset: p.offset, total };
    }, signal);
  }

  async diff(
    name: string,
    from: number,
    to: number,
    key?: string,
    signal?: AbortSignal,
  ): Promise<DiffResult> {
    const a = this.show(name, from);
    const b = this.show(name, to);
    const before = new Map(a.entries.map((e) => [e.path, e]));
    const after = new Map(b.entries.map((e) => [e.path, e]));
    const added = [...after.keys()].filter((p) => !before.has(p));
    const removed = [...before.keys()].filter((p) => !after.has(p));
    const modified = [...after.keys()].filter(
      (p) => before.has(p) && before.get(p)!.sha256 !== after.get(p)!.sha256,
    );
    const unchanged = [...after.keys()].filter((p) => before.get(p)?.sha256 === after.get(p)!.sha256).length;
    const tables: TableDiff[] = [];
    for (const p of modified) {
      const fa = tableFormatOf(p);
      if (!fa) continue;
      tables.push(
        await diffTable(
          this.duck,
          p,
          { file: this.objects.pathFor(before.get(p)!.sha256), format: fa },
          { file: this.objects.pathFor(after.get(p)!.sha256), format: fa },
          key,
          signal,
        ),
      );
    }
    return { files: { added, removed, modified, unchanged }, tables };
  }

  async export(
    name: string,
    version: number | undefined,
    dir: string,
    ctx: OpContext,
    opts: { links?: boolean } = {},
  ): Promise<ExportResult> {
    const v = this.show(name, version);
    return exportVersion(this.objects, v.entries, dir, ctx, opts);
  }
}
