/**
 * The claim protocol and the state moves of runStates.ts on a real SQLite file, through two
 * connections as two processes would hold them: of two claims on one run exactly one wins, a run
 * whose owner has exited can be taken over once, and a state never moves back.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { TrackingRepo } from '../tracking/trackingRepo.ts';
import { openWorkbench } from '../workbench.ts';
import {
  endQueued,
  endRunning,
  handOver,
  markRunning,
  openRunOwner,
  orphanedRuns,
  ownerAlive,
  queuedOwnedBy,
  releaseOwnership,
  requestCancel,
  takeOwnership,
} from './runStates.ts';

const dirs = tempDirs();

/** Two connections on one fresh home, and a QUEUED run in it. */
function twoProcesses() {
  const file = path.join(dirs.make(), 'workbench.db');
  const a = openDatabase(file);
  const b = openDatabase(file);
  const id = new TrackingRepo(a).createRun({ experimentId: '0', status: 'QUEUED', spec: {} });
  return { a, b, id };
}

/** A pid that was a process and has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  return Number(pid);
}

describe('run ownership across processes', () => {
  it('lets exactly one of two claims on an unowned run win', () => {
    const { a, b, id } = twoProcesses();
    expect(openRunOwner(b, id)).toEqual({ owner: null });
    expect(takeOwnership(a, id, null, 1111)).toBe(true);
    // The second saw "no owner" too, but the owner is no longer what it saw.
    expect(takeOwnership(b, id, null, 2222)).toBe(false);
    expect(openRunOwner(b, id)).toEqual({ owner: 1111 });
    expect(queuedOwnedBy(b, 1111)).toEqual([id]);
    expect(queuedOwnedBy(b, 2222)).toEqual([]);
  });

  it('lists a run whose owner has exited as orphaned, and lets it be taken over once', () => {
    const { a, b, id } = twoProcesses();
    const dead = deadPid();
    expect(ownerAlive(dead)).toBe(false);
    expect(ownerAlive(process.pid)).toBe(true);
    takeOwnership(a, id, null, dead);
    expect(orphanedRuns(b, 'QUEUED')).toEqual([{ id, owner: dead }]);
    expect(takeOwnership(b, id, dead, process.pid)).toBe(true);
    expect(takeOwnership(a, id, dead, 3333)).toBe(false);
    expect(orphanedRuns(a, 'QUEUED')).toEqual([]);
    // Released on closing: no owner, taken at once by the next process.
    releaseOwnership(b, [id], process.pid);
    expect(orphanedRuns(a, 'QUEUED')).toEqual([{ id, owner: null }]);
  });

  it('leaves runs a script logs through MLflow alone: there is no container to launch or follow', () => {
    const { a, b } = twoProcesses();
    const tracking = new TrackingRepo(a);
    const script = tracking.createRun({ experimentId: '0', status: 'RUNNING' });
    const scheduled = tracking.createRun({ experimentId: '0', status: 'QUEUED' });
    expect(orphanedRuns(b, 'RUNNING')).toEqual([]);
    expect(orphanedRuns(b, 'QUEUED').map((r) => r.id)).not.toContain(scheduled);
    expect(openRunOwner(b, script)).toBeUndefined();
    expect(takeOwnership(b, script, null, 1111)).toBe(false);
  });

  it('a workbench taking over orphans leaves a script’s running run alone, and cancelling ends it', async () => {
    const wb = await openWorkbench(dirs.make());
    try {
      const id = wb.tracking.createRun({ experimentId: '0', status: 'RUNNING' });
      await wb.runs.resume({ onlyFinished: true });
      await wb.runs.resume();
      expect(wb.tracking.run(id).status).toBe('RUNNING');
      expect(await wb.runs.cancel(id)).toEqual({ status: 'KILLED', cancelled: true });
      expect(wb.runs.detail(id).failureReason).toBe('Cancelled by the user.');
    } finally {
      await wb.close();
    }
  });

  it('hands over only the runs the giver holds, and only while QUEUED', () => {
    const { a, b, id } = twoProcesses();
    takeOwnership(a, id, null, 1111);
    expect(handOver(b, [id], 2222, 3333)).toEqual([]);
    expect(handOver(b, [id], 1111, 3333)).toEqual([id]);
    expect(openRunOwner(a, id)).toEqual({ owner: 3333 });
    markRunning(a, id);
    expect(handOver(a, [id], 3333, 4444)).toEqual([]);
  });

  it('moves a state forward once: a cancel and a launcher, a follower and another writer', () => {
    const { a, b, id } = twoProcesses();
    // Cancelled while its container starts: the launcher's QUEUED → RUNNING then fails.
    expect(endQueued(b, id, 'KILLED', 'Cancelled before it started.')).toBe(true);
    expect(markRunning(a, id)).toBe(false);
    expect(openRunOwner(a, id)).toBeUndefined();

    const { a: c, b: d, id: run } = twoProcesses();
    expect(markRunning(c, run)).toBe(true);
    expect(endQueued(d, run, 'KILLED', 'too late')).toBe(false);
    expect(requestCancel(d, run)).toBe(true);
    expect(endRunning(c, run, { status: 'KILLED', exitCode: 137, reason: 'Cancelled by the user.' })).toBe(
      true,
    );
    expect(endRunning(d, run, { status: 'LOST', reason: 'gone' })).toBe(false);
    expect(requestCancel(d, run)).toBe(false);
    expect(new TrackingRepo(d).runRow(run)).toMatchObject({
      status: 'KILLED',
      exit_code: 137,
      failure_reason: 'Cancelled by the user.',
    });
  });
});
