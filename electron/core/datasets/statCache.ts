/**
 * Remembers the digest of a file by (path, size, mtime, inode), so re-adding unchanged files
 * costs a stat, not a read. Each hit says whether its blob is committed (registered in `blobs`):
 * a committed blob stays in the store until nothing references it, so it needs no further check;
 * the file of an uncommitted one (its version deleted since) is read again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRegisteredSql } from '../objects/blobIndex.ts';
import type { Db } from '../store/database.ts';
import { writeTransaction } from '../store/database.ts';

export interface StatKey {
  absPath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

export interface StatHit {
  sha256: string;
  committed: boolean;
}

interface CacheRow {
  size: number;
  mtime_ns: string;
  ino: string;
  sha256: string;
  committed: number;
}

const ROW = `s.size, s.mtime_ns, s.ino, s.sha256, ${isRegisteredSql('s.sha256')} AS committed`;

export class StatCache {
  private readonly select;
  private readonly selectRange;

  constructor(private readonly db: Db) {
    // Prepared once: an add of 100,000 unchanged files looks up 100,000 rows.
    this.select = db.prepare(`SELECT ${ROW} FROM stat_cache s WHERE s.path = ?`);
    // Rows as arrays: a dropped folder's range is read in one go, and arrays cost less than objects.
    this.selectRange = db
      .prepare(`SELECT s.path, ${ROW} FROM stat_cache s WHERE s.path >= ? AND s.path < ?`)
      .raw();
  }

  lookup(key: StatKey): StatHit | undefined {
    return hit(this.select.get(key.absPath) as CacheRow | undefined, key);
  }

  /** Whether any file at or under these paths was hashed before (false: a first add). */
  knowsAnyUnder(paths: string[]): boolean {
    const probe = this.db.prepare(
      'SELECT 1 FROM stat_cache WHERE path = ? OR (path >= ? AND path < ?) LIMIT 1',
    );
    return paths.some((p) => {
      let abs: string;
      try {
        abs = fs.realpathSync(p);
      } catch {
        return true; // the walk reports it; no reason to start workers
      }
      return probe.get(abs, `${abs}/`, `${abs}0`) !== undefined;
    });
  }

  /**
   * Looks up many keys in one read transaction. Many files under one folder (a dropped folder)
   * are read as one range of the primary key, which costs a fifth of a query per file.
   */
  lookupMany(keys: StatKey[]): (StatHit | undefined)[] {
    const prefix = keys.length >= 64 ? commonFolder(keys) : '';
    if (prefix.length < 2) return this.lookupEach(keys);
    const rows = new Map<string, CacheRow>();
    // A folder may hold far more remembered files than were given (a parent of several inputs):
    // past a few per key, one query per key is cheaper.
    const limit = 4 * keys.length + 1000;
    let tooMany = false;
    // Paths under `prefix/` sort between "prefix/" and "prefix0" ('0' follows '/').
    for (const [path, size, mtime_ns, ino, sha256, committed] of this.selectRange.iterate(
      `${prefix}/`,
      `${prefix}0`,
    ) as Iterable<[string, number, string, string, string, number]>) {
      rows.set(path, { size, mtime_ns, ino, sha256, committed });
      if (rows.size > limit) {
        tooMany = true;
        break; // closes the range query before the per-key ones run on this connection
      }
    }
    if (tooMany) return this.lookupEach(keys);
    return keys.map((k) => hit(rows.get(k.absPath), k));
  }

  /** One query per key, in one read transaction. */
  private lookupEach(keys: StatKey[]): (StatHit | undefined)[] {
    return this.db.transaction(() => keys.map((k) => this.lookup(k)))();
  }

  rememberMany(items: { key: StatKey; sha256: string }[]): void {
    if (items.length === 0) return;
    const upsert = this.db.prepare(
      `INSERT INTO stat_cache (path, size, mtime_ns, ino, sha256) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
         ino = excluded.ino, sha256 = excluded.sha256`,
    );
    writeTransaction(this.db, () => {
      for (const { key, sha256 } of items) {
        upsert.run(key.absPath, key.size, key.mtimeNs.toString(), key.ino.toString(), sha256);
      }
    });
  }

  /** Drops what rememberMany wrote for these items (a row another add has changed since stays). */
  forgetMany(items: { key: StatKey; sha256: string }[]): void {
    if (items.length === 0) return;
    const del = this.db.prepare('DELETE FROM stat_cache WHERE path = ? AND mtime_ns = ? AND sha256 = ?');
    writeTransaction(this.db, () => {
      for (const { key, sha256 } of items) del.run(key.absPath, key.mtimeNs.toString(), sha256);
    });
  }
}

function hit(row: CacheRow | undefined, key: StatKey): StatHit | undefined {
  if (
    !row ||
    row.size !== key.size ||
    row.mtime_ns !== key.mtimeNs.toString() ||
    row.ino !== key.ino.toString()
  )
    return undefined;
  return { sha256: row.sha256, committed: row.committed === 1 };
}

/** The deepest folder holding every key ("" when they share none but the root). */
function commonFolder(keys: StatKey[]): string {
  let prefix = path.dirname(keys[0]!.absPath);
  for (const k of keys) {
    while (prefix.length > 1 && !k.absPath.startsWith(`${prefix}/`)) prefix = path.dirname(prefix);
  }
  return prefix.length > 1 ? prefix : '';
}
