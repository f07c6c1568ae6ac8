/**
 * Remembers the digest of a file by (path, size, mtime, inode), so re-adding unchanged files
 * costs a stat, not a read. A hit is only trusted while the blob is still in the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database.ts';
import { writeTransaction } from '../store/database.ts';

export interface StatKey {
  absPath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

export class StatCache {
  private readonly select;
  private readonly selectRange;

  constructor(private readonly db: Db) {
    // Prepared once: an add of 100,000 unchanged files looks up 100,000 rows.
    this.select = db.prepare('SELECT size, mtime_ns, ino, sha256 FROM stat_cache WHERE path = ?');
    this.selectRange = db.prepare(
      'SELECT path, size, mtime_ns, ino, sha256 FROM stat_cache WHERE path >= ? AND path < ?',
    );
  }

  lookup(key: StatKey): string | undefined {
    const row = this.select.get(key.absPath) as
      | { size: number; mtime_ns: string; ino: string; sha256: string }
      | undefined;
    return row && matches(row, key) ? row.sha256 : undefined;
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
  lookupMany(keys: StatKey[]): (string | undefined)[] {
    const prefix = keys.length >= 64 ? commonFolder(keys) : '';
    if (prefix.length < 2) return this.lookupEach(keys);
    const rows = new Map<string, { size: number; mtime_ns: string; ino: string; sha256: string }>();
    // A folder may hold far more remembered files than were given (a parent of several inputs):
    // past a few per key, one query per key is cheaper.
    const limit = 4 * keys.length + 1000;
    let tooMany = false;
    // Paths under `prefix/` sort between "prefix/" and "prefix0" ('0' follows '/').
    for (const row of this.selectRange.iterate(`${prefix}/`, `${prefix}0`) as Iterable<{
      path: string;
      size: number;
      mtime_ns: string;
      ino: string;
      sha256: string;
    }>) {
      rows.set(row.path, row);
      if (rows.size > limit) {
        tooMany = true;
        break; // closes the range query before the per-key ones run on this connection
      }
    }
    if (tooMany) return this.lookupEach(keys);
    return keys.map((k) => {
      const row = rows.get(k.absPath);
      return row && matches(row, k) ? row.sha256 : undefined;
    });
  }

  /** One query per key, in one read transaction. */
  private lookupEach(keys: StatKey[]): (string | undefined)[] {
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
}

function matches(row: { size: number; mtime_ns: string; ino: string }, key: StatKey): boolean {
  return row.size === key.size && row.mtime_ns === key.mtimeNs.toString() && row.ino === key.ino.toString();
}

/** The deepest folder holding every key ("" when they share none but the root). */
function commonFolder(keys: StatKey[]): string {
  let prefix = path.dirname(keys[0]!.absPath);
  for (const k of keys) {
    while (prefix.length > 1 && !k.absPath.startsWith(`${prefix}/`)) prefix = path.dirname(prefix);
  }
  return prefix.length > 1 ? prefix : '';
}
