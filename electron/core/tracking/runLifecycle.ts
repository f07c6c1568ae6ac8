/**
 * The moves of recipe runs, written by several processes at once (the app, `mlwb ui`, CLIs,
 * detached runs' supervisors): their ownership and state moves are each one conditional UPDATE, so
 * of two processes trying the same move exactly one succeeds, and a state never moves back.
 * `follower_pid` and `follower_pid_start` name the process that answers for a QUEUED or RUNNING
 * recipe run — it launches it, then follows it; the start tells it apart from a later process given
 * the same pid (processIdentity.ts). A process takes a run only when nobody answers for it (no
 * owner, or an owner that has exited): read the owner, then compare-and-set from exactly that value
 * (`claimRun`).
 *
 * Part of the runs table's owner: reached as `tracking.lifecycle` (trackingRepo.ts).
 */
import { now } from '../ids.ts';
import { isAlive, type ProcessIdentity } from '../processIdentity.ts';
import type { Db } from '../store/database.ts';

/**
 * Open recipe runs: only runs started from a recipe (with a spec) have a container to launch and
 * follow. Runs a script created through the MLflow API are its own business, whatever their state.
 */
const OPEN = "status IN ('QUEUED', 'RUNNING') AND spec IS NOT NULL";

export const CANCELLED_BY_USER = 'Cancelled by the user.';

/** Whether `owner` is a process that can still answer for its runs. */
export function ownerAlive(owner: ProcessIdentity | null): owner is ProcessIdentity {
  return owner !== null && isAlive(owner);
}

const OWNER = 'follower_pid AS pid, follower_pid_start AS start';
type OwnerRow = { pid: number | null; start: string | null };
const ownerOf = (r: OwnerRow): ProcessIdentity | null =>
  r.pid === null ? null : { pid: r.pid, start: r.start };

export class RunLifecycle {
  constructor(private readonly db: Db) {}

  /** The owner of a recipe run that is still QUEUED or RUNNING; undefined otherwise. */
  openRunOwner(runId: string): { owner: ProcessIdentity | null } | undefined {
    const row = this.db.prepare(`SELECT ${OWNER} FROM runs WHERE id = ? AND ${OPEN}`).get(runId) as
      | OwnerRow
      | undefined;
    return row && { owner: ownerOf(row) };
  }

  /**
   * Makes `to` the owner of an open run if the owner is still `expected` (null, a process that
   * has exited, or `to` itself). False when another process got there first or the run has ended.
   */
  claimRun(runId: string, expected: ProcessIdentity | null, to: ProcessIdentity): boolean {
    return (
      this.db
        .prepare(
          `UPDATE runs SET follower_pid = ?, follower_pid_start = ?
           WHERE id = ? AND follower_pid IS ? AND (follower_pid IS NULL OR follower_pid_start IS ?) AND ${OPEN}`,
        )
        .run(to.pid, to.start, runId, expected?.pid ?? null, expected?.start ?? null).changes === 1
    );
  }

  /** `owner` no longer answers for these runs (it is closing): the next process may take them at once. */
  releaseRuns(runIds: Iterable<string>, owner: ProcessIdentity): void {
    const release = this.db.prepare(
      `UPDATE runs SET follower_pid = NULL, follower_pid_start = NULL
       WHERE id = ? AND follower_pid = ? AND follower_pid_start IS ?`,
    );
    for (const id of runIds) release.run(id, owner.pid, owner.start);
  }

  /** Hands `from`'s QUEUED runs to `to`; returns the ids that moved. */
  handOverRuns(runIds: string[], from: ProcessIdentity, to: ProcessIdentity): string[] {
    const move = this.db.prepare(
      `UPDATE runs SET follower_pid = ?, follower_pid_start = ?
       WHERE id = ? AND follower_pid = ? AND follower_pid_start IS ? AND status = 'QUEUED'`,
    );
    return runIds.filter((id) => move.run(to.pid, to.start, id, from.pid, from.start).changes === 1);
  }

  /** QUEUED recipe runs `owner` owns, oldest first. */
  queuedOwnedBy(owner: ProcessIdentity): string[] {
    return this.db
      .prepare(
        `SELECT id FROM runs WHERE status = 'QUEUED' AND spec IS NOT NULL
         AND follower_pid = ? AND follower_pid_start IS ? ORDER BY created_at, id`,
      )
      .pluck()
      .all(owner.pid, owner.start) as string[];
  }

  /**
   * Open recipe runs nobody answers for any more: no owner, or one that has exited — also when
   * its pid now names another process.
   */
  orphanedRuns(status: 'QUEUED' | 'RUNNING'): { id: string; owner: ProcessIdentity | null }[] {
    const rows = this.db
      .prepare(`SELECT id, ${OWNER} FROM runs WHERE status = ? AND spec IS NOT NULL ORDER BY created_at, id`)
      .all(status) as ({ id: string } & OwnerRow)[];
    return rows.map((r) => ({ id: r.id, owner: ownerOf(r) })).filter((r) => !ownerAlive(r.owner));
  }

  /** QUEUED → RUNNING once its container has started; false when it was cancelled meanwhile. */
  markRunning(runId: string): boolean {
    return (
      this.db
        .prepare("UPDATE runs SET status = 'RUNNING', start_time = ? WHERE id = ? AND status = 'QUEUED'")
        .run(now(), runId).changes === 1
    );
  }

  /** QUEUED → KILLED or FAILED before any container ran; false when it had moved on already. */
  endQueued(runId: string, status: 'KILLED' | 'FAILED', reason: string): boolean {
    return (
      this.db
        .prepare(
          "UPDATE runs SET status = ?, end_time = ?, failure_reason = ? WHERE id = ? AND status = 'QUEUED'",
        )
        .run(status, now(), reason, runId).changes === 1
    );
  }

  /**
   * Records that the user cancelled a RUNNING run. Whichever process follows it reads this when
   * the container exits and ends the run KILLED. False when the run is no longer RUNNING.
   */
  requestCancel(runId: string): boolean {
    return (
      this.db
        .prepare("UPDATE runs SET failure_reason = ? WHERE id = ? AND status = 'RUNNING'")
        .run(CANCELLED_BY_USER, runId).changes === 1
    );
  }

  /** RUNNING → its final state; false when another writer ended it first. */
  endRunning(
    runId: string,
    end: {
      status: 'FINISHED' | 'FAILED' | 'KILLED' | 'LOST';
      exitCode?: number | null;
      reason: string | null;
      peakMemory?: number | null;
    },
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = ?, end_time = ?, exit_code = coalesce(?, exit_code), failure_reason = ?,
             peak_memory = coalesce(?, peak_memory) WHERE id = ? AND status = 'RUNNING'`,
        )
        .run(end.status, now(), end.exitCode ?? null, end.reason, end.peakMemory ?? null, runId).changes === 1
    );
  }
}
