/**
 * A writer registers a lease while it stages blobs; gc keeps every unreferenced blob touched after
 * the oldest live lease began, so it never collects the blobs of an add that has not committed yet.
 * Leases of processes that no longer exist (killed mid-add) are ignored and cleared.
 */

import { newId, now } from '../ids.ts';
import type { Db } from '../store/database.ts';

export function takeLease(db: Db): () => void {
  const id = newId();
  db.prepare('INSERT INTO write_leases (id, pid, started_at) VALUES (?, ?, ?)').run(id, process.pid, now());
  return () => {
    db.prepare('DELETE FROM write_leases WHERE id = ?').run(id);
  };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of the oldest lease held by a live process; stale leases are removed. */
export function oldestLiveLease(db: Db): number | undefined {
  const rows = db.prepare('SELECT id, pid, started_at FROM write_leases').all() as {
    id: string;
    pid: number;
    started_at: number;
  }[];
  let oldest: number | undefined;
  for (const r of rows) {
    if (!isProcessAlive(r.pid)) {
      db.prepare('DELETE FROM write_leases WHERE id = ?').run(r.id);
      continue;
    }
    oldest = oldest === undefined ? r.started_at : Math.min(oldest, r.started_at);
  }
  return oldest;
}
