/**
 * A writer registers a lease while it stages blobs; gc keeps every unreferenced blob touched after
 * the oldest live lease began, so it never collects the blobs of an add that has not committed yet.
 * Leases of processes that no longer exist (killed mid-add, their pid perhaps another process's
 * since: processIdentity.ts) are ignored and cleared.
 */

import { newId, now } from '../ids.ts';
import { isAlive, thisProcess } from '../processIdentity.ts';
import type { Db } from '../store/database.ts';

export function takeLease(db: Db): () => void {
  const id = newId();
  const me = thisProcess();
  db.prepare('INSERT INTO write_leases (id, pid, pid_start, started_at) VALUES (?, ?, ?, ?)').run(
    id,
    me.pid,
    me.start,
    now(),
  );
  return () => {
    db.prepare('DELETE FROM write_leases WHERE id = ?').run(id);
  };
}

/** The start time of the oldest lease held by a live process; stale leases are removed. */
export function oldestLiveLease(db: Db): number | undefined {
  const rows = db.prepare('SELECT id, pid, pid_start, started_at FROM write_leases').all() as {
    id: string;
    pid: number;
    pid_start: string | null;
    started_at: number;
  }[];
  let oldest: number | undefined;
  for (const r of rows) {
    if (!isAlive({ pid: r.pid, start: r.pid_start })) {
      db.prepare('DELETE FROM write_leases WHERE id = ?').run(r.id);
      continue;
    }
    oldest = oldest === undefined ? r.started_at : Math.min(oldest, r.started_at);
  }
  return oldest;
}
