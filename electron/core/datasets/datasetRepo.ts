/**
 * SQL for datasets, their versions and files, and the table profiles computed from their files.
 * One module for the aggregate: the only one that reads and writes datasets, dataset_versions,
 * dataset_files and table_profiles.
 */
import type {
  DatasetSummary,
  ManifestEntry,
  TableProfile,
  VersionSummary,
} from '../../../shared/datasets.ts';
import { notFound } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { type BlobReferences, blobRegistrar } from '../objects/blobIndex.ts';
import { type Db, writeTransaction } from '../store/database.ts';

interface VersionRow {
  id: string;
  dataset: string;
  number: number;
  digest: string;
  message: string;
  created_at: number;
  files: number;
  bytes: number;
  new_bytes: number;
}

const toSummary = (r: VersionRow): VersionSummary => ({
  dataset: r.dataset,
  version: r.number,
  digest: r.digest,
  message: r.message,
  createdAt: r.created_at,
  files: r.files,
  bytes: r.bytes,
  newBytes: r.new_bytes,
});

/** The blobs dataset versions reference (see blobIndex.ts). */
export const datasetBlobs: BlobReferences = {
  select: 'SELECT sha256 FROM dataset_files',
  usersOf: (db, sha256) =>
    (
      db
        .prepare(
          `SELECT d.name, v.number, f.path FROM dataset_files f
             JOIN dataset_versions v ON v.id = f.version_id JOIN datasets d ON d.id = v.dataset_id
            WHERE f.sha256 = ? ORDER BY d.name, v.number, f.path LIMIT 5`,
        )
        .all(sha256) as { name: string; number: number; path: string }[]
    ).map((r) => `${r.name} v${r.number}: ${r.path}`),
};

const VERSION_COLS = `v.id, d.name AS dataset, v.number, v.digest, v.message, v.created_at, v.files, v.bytes, v.new_bytes`;

export interface CommitInput {
  name: string;
  message: string;
  digest: string;
  entries: ManifestEntry[];
  /** The digest of the files' paths and stats it was added from (ingest.ts), when known. */
  sources?: string;
}

export interface CommitOutcome {
  summary: VersionSummary;
  created: boolean;
}

export class DatasetRepo {
  constructor(private readonly db: Db) {}

  list(): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, d.name, d.created_at,
                (SELECT count(*) FROM dataset_versions WHERE dataset_id = d.id) AS versions,
                l.number AS latest, l.created_at AS latest_at, l.files, l.bytes
           FROM datasets d
           LEFT JOIN dataset_versions l ON l.dataset_id = d.id
                AND l.number = (SELECT max(number) FROM dataset_versions WHERE dataset_id = d.id)
          ORDER BY coalesce(l.created_at, d.created_at) DESC`,
      )
      .all() as {
      id: string;
      name: string;
      created_at: number;
      versions: number;
      latest: number | null;
      latest_at: number | null;
      files: number | null;
      bytes: number | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      versions: r.versions,
      latest: r.latest,
      latestAt: r.latest_at,
      files: r.files ?? 0,
      bytes: r.bytes ?? 0,
    }));
  }

  versions(name: string): VersionSummary[] {
    this.requireDataset(name);
    const rows = this.db
      .prepare(
        `SELECT ${VERSION_COLS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
          WHERE d.name = ? ORDER BY v.number DESC`,
      )
      .all(name) as VersionRow[];
    return rows.map(toSummary);
  }

  /** The version, or the latest when `version` is omitted. */
  version(name: string, version?: number): VersionSummary & { id: string } {
    this.requireDataset(name);
    const row = (
      version === undefined
        ? this.db
            .prepare(
              `SELECT ${VERSION_COLS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE d.name = ? ORDER BY v.number DESC LIMIT 1`,
            )
            .get(name)
        : this.db
            .prepare(
              `SELECT ${VERSION_COLS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                WHERE d.name = ? AND v.number = ?`,
            )
            .get(name, version)
    ) as VersionRow | undefined;
    if (!row) {
      throw notFound(
        version === undefined
          ? `Dataset "${name}" has no versions yet. Add files to it first.`
          : `Dataset "${name}" has no version ${version}. Run \`mlwb dataset versions ${name}\` to list them.`,
      );
    }
    return { ...toSummary(row), id: row.id };
  }

  entries(versionId: string): ManifestEntry[] {
    return this.db
      .prepare('SELECT path, size, sha256, mode FROM dataset_files WHERE version_id = ? ORDER BY path')
      .all(versionId) as ManifestEntry[];
  }

  exists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM datasets WHERE name = ?').get(name) !== undefined;
  }

  private requireDataset(name: string): void {
    if (!this.db.prepare('SELECT 1 FROM datasets WHERE name = ?').get(name)) {
      throw notFound(
        `No dataset named "${name}". Run \`mlwb dataset list\` to see the datasets in this home.`,
      );
    }
  }

  /**
   * Creates the next version in one write transaction, unless its content equals the latest
   * version's. BEGIN IMMEDIATE serializes writers across processes, so two concurrent adds become
   * two consecutive versions and a version is either whole or absent.
   */
  commitVersion(input: CommitInput): CommitOutcome {
    return writeTransaction(this.db, () => {
      let dataset = this.db.prepare('SELECT id FROM datasets WHERE name = ?').get(input.name) as
        | { id: string }
        | undefined;
      if (!dataset) {
        dataset = { id: newId() };
        this.db
          .prepare('INSERT INTO datasets (id, name, created_at) VALUES (?, ?, ?)')
          .run(dataset.id, input.name, now());
      }
      const latest = this.db
        .prepare(
          `SELECT ${VERSION_COLS} FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
            WHERE v.dataset_id = ? ORDER BY v.number DESC LIMIT 1`,
        )
        .get(dataset.id) as VersionRow | undefined;
      if (latest && latest.digest === input.digest) {
        // The same content from (perhaps) other files: the next unchanged add of these is quick.
        if (input.sources)
          this.db
            .prepare('UPDATE dataset_versions SET sources = ? WHERE id = ?')
            .run(input.sources, latest.id);
        return { summary: toSummary(latest), created: false };
      }

      const registerBlob = blobRegistrar(this.db);
      const t = now();
      let newBytes = 0;
      let bytes = 0;
      for (const e of input.entries) {
        bytes += e.size;
        if (registerBlob(e.sha256, e.size, t)) newBytes += e.size;
      }
      const id = newId();
      const number = (latest?.number ?? 0) + 1;
      this.db
        .prepare(
          `INSERT INTO dataset_versions (id, dataset_id, number, digest, message, created_at, files, bytes, new_bytes, sources)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          dataset.id,
          number,
          input.digest,
          input.message,
          t,
          input.entries.length,
          bytes,
          newBytes,
          input.sources ?? null,
        );
      const insertFile = this.db.prepare(
        'INSERT INTO dataset_files (version_id, path, size, sha256, mode) VALUES (?, ?, ?, ?, ?)',
      );
      for (const e of input.entries) insertFile.run(id, e.path, e.size, e.sha256, e.mode);
      return {
        created: true,
        summary: {
          dataset: input.name,
          version: number,
          digest: input.digest,
          message: input.message,
          createdAt: t,
          files: input.entries.length,
          bytes,
          newBytes,
        },
      };
    });
  }

  /**
   * The latest version of `name` when it was added from files whose paths and stats digest to
   * `sources` (ingest.ts), else undefined.
   */
  latestFromSources(name: string, sources: string): VersionSummary | undefined {
    const row = this.db
      .prepare(
        `SELECT ${VERSION_COLS}, v.sources FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
          WHERE d.name = ? ORDER BY v.number DESC LIMIT 1`,
      )
      .get(name) as (VersionRow & { sources: string | null }) | undefined;
    return row && row.sources === sources ? toSummary(row) : undefined;
  }

  /** A table's profile as computed before by the same profiler `engine`; undefined if never. */
  cachedProfile(sha256: string, format: string, engine: string): TableProfile | undefined {
    const row = this.db
      .prepare('SELECT profile FROM table_profiles WHERE sha256 = ? AND format = ? AND engine = ?')
      .get(sha256, format, engine) as { profile: string } | undefined;
    return row ? (JSON.parse(row.profile) as TableProfile) : undefined;
  }

  saveProfile(sha256: string, format: string, engine: string, profile: TableProfile): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO table_profiles (sha256, format, engine, profile, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(sha256, format, engine, JSON.stringify(profile), now());
  }
}
