/**
 * Opens the workbench's SQLite file: WAL, foreign keys, a busy timeout so two processes wait for
 * each other instead of failing, and the numbered migrations applied in one transaction.
 */
import Database from 'better-sqlite3';
import { WorkbenchError } from '../errors.ts';
import { migrations } from './migrations.ts';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new WorkbenchError('IO', `Cannot open the workbench database ${file}: ${(err as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db): void {
  const latest = migrations.at(-1)?.version ?? 0;
  if (schemaVersion(db) >= latest) {
    if (schemaVersion(db) > latest) {
      throw new WorkbenchError(
        'CONFLICT',
        `This workbench home was written by a newer version (schema ${schemaVersion(db)}, this app knows ${latest}). Update the app.`,
      );
    }
    return;
  }
  // IMMEDIATE: two processes opening a fresh home at once must not both migrate.
  const apply = db.transaction(() => {
    const current = schemaVersion(db);
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  });
  apply.immediate();
}

/** Runs fn in a write transaction taken at once (BEGIN IMMEDIATE), so concurrent writers queue. */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
