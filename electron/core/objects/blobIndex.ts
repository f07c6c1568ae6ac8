/**
 * The `blobs` table: which objects of the store committed records may reference, with their sizes.
 * A writer registers the blobs it commits inside its own write transaction (a dataset version, a
 * recipe snapshot); verify and gc read the table; gc forgets the blobs nothing references any more.
 * The tables that reference blobs belong to their features, which say how to read them
 * (BlobReferences): this module never names them.
 */
import type { Db } from '../store/database.ts';

/** How a feature's table references blobs: for gc, and for naming what damage hits. */
export interface BlobReferences {
  /** A SELECT of one column: every sha256 the feature's committed records reference. */
  select: string;
  /** What refers to `sha256`, in words (at most a few), e.g. "iris v2: train.csv". */
  usersOf(db: Db, sha256: string): string[];
}

/**
 * Registers blobs; call it inside the writer's transaction. Each call returns whether the blob
 * was new to the store.
 */
export function blobRegistrar(db: Db): (sha256: string, size: number, at: number) => boolean {
  const insert = db.prepare('INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)');
  return (sha256, size, at) => insert.run(sha256, size, at).changes > 0;
}

/**
 * An SQL expression, true when the blob whose digest is `column` is registered: for a query that
 * asks it of many rows in one statement (the stat cache looks up 100,000 files at once).
 */
export function isRegisteredSql(column: string): string {
  return `EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = ${column})`;
}

/** Those of `digests` that are registered. */
export function registeredAmong(db: Db, digests: string[]): Set<string> {
  const rows = db
    .prepare('SELECT sha256 FROM blobs WHERE sha256 IN (SELECT value FROM json_each(?))')
    .pluck()
    .all(JSON.stringify(digests)) as string[];
  return new Set(rows);
}

/** Every registered blob, in digest order. */
export function registeredBlobs(db: Db): { sha256: string; size: number }[] {
  return db.prepare('SELECT sha256, size FROM blobs ORDER BY sha256').all() as {
    sha256: string;
    size: number;
  }[];
}

/** Forgets the registered blobs none of `references` selects any more; returns how many. */
export function forgetUnreferenced(db: Db, references: BlobReferences[]): number {
  const unreferenced = db
    .prepare(
      `SELECT sha256 FROM blobs WHERE sha256 NOT IN (${references.map((r) => r.select).join(' UNION ')})`,
    )
    .pluck()
    .all() as string[];
  if (unreferenced.length) {
    const del = db.prepare('DELETE FROM blobs WHERE sha256 = ?');
    db.transaction(() => {
      for (const sha of unreferenced) del.run(sha);
    })();
  }
  return unreferenced.length;
}
