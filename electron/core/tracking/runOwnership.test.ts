/**
 * The claim protocol and the state moves of recipe runs (trackingRepo.ts) on a real SQLite file, through two
 * connections as two processes would hold them: of two claims on one run exactly one wins, a run
 * whose owner has exited — or whose pid now names another process — can be taken over once, and a
 * state never moves back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityOf, type ProcessIdentity, thisProcess } from '../processIdentity.ts';
import { openDatabase } from '../store/database.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { openWorkbench } from '../workbench.ts';
import { ownerAlive } from './runLifecycle.ts';
import { TrackingRepo } from './trackingRepo.ts';

const dirs = tempDirs();

/** Two connections on one fresh home, and a QUEUED run in it. */
function twoProcesses() {
  const file = path.join(dirs.make(), 'workbench.db');
  const a = new TrackingRepo(openDatabase(file));
  const b = new TrackingRepo(openDatabase(file));
  const id = a.createRun({ experimentId: '0', status: 'QUEUED', spec: {} });
  return { a, b, id };
}

/** An owner as a record from before start times were kept names it: by pid alone. */
const p = (pid: number): ProcessIdentity => ({ pid, start: null });

/** A pid that was a process and has exited. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  return Number(pid);
}

/** Runs `test` with a live process other than this one (a `sleep`), then ends it. */
async function withSleeper(test: (live: ProcessIdentity) => Promise<void>): Promise<void> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await once(child, 'spawn');
    const live = identityOf(child.pid!);
    expect(live.start).not.toBeNull();
    await test(live);
  } finally {
    child.kill('SIGKILL');
  }
}

/** `live`'s pid with another start: what a record of a dead process whose pid `live` got holds. */
function reusedBy(live: ProcessIdentity): ProcessIdentity {
  const [ticks, boot] = live.start!.split('@');
  return { pid: live.pid, start: `${Number(ticks) - 1}@${boot}` };
}

describe('run ownership across processes', () => {
  it('lets exactly one of two claims on an unowned run win', () => {
    const { a, b, id } = twoProcesses();
    expect(b.lifecycle.openRunOwner(id)).toEqual({ owner: null });
    expect(a.lifecycle.claimRun(id, null, p(1111))).toBe(true);
    // The second saw "no owner" too, but the owner is no longer what it saw.
    expect(b.lifecycle.claimRun(id, null, p(2222))).toBe(false);
    expect(b.lifecycle.openRunOwner(id)).toEqual({ owner: p(1111) });
    expect(b.lifecycle.queuedOwnedBy(p(1111))).toEqual([id]);
    expect(b.lifecycle.queuedOwnedBy(p(2222))).toEqual([]);
  });

  it('lists a run whose owner has exited as orphaned, and lets it be taken over once', () => {
    const { a, b, id } = twoProcesses();
    const dead = deadPid();
    expect(ownerAlive(p(dead))).toBe(false);
    expect(ownerAlive(thisProcess())).toBe(true);
    a.lifecycle.claimRun(id, null, p(dead));
    expect(b.lifecycle.orphanedRuns('QUEUED')).toEqual([{ id, owner: p(dead) }]);
    expect(b.lifecycle.claimRun(id, p(dead), thisProcess())).toBe(true);
    expect(a.lifecycle.claimRun(id, p(dead), p(3333))).toBe(false);
    expect(a.lifecycle.orphanedRuns('QUEUED')).toEqual([]);
    // Released on closing: no owner, taken at once by the next process.
    b.lifecycle.releaseRuns([id], thisProcess());
    expect(a.lifecycle.orphanedRuns('QUEUED')).toEqual([{ id, owner: null }]);
  });

  it.skipIf(process.platform !== 'linux')(
    'takes over a run whose owner’s pid now names another process (another start); a live owner keeps its run',
    async () => {
      await withSleeper(async (live) => {
        const { a, b, id } = twoProcesses();
        // The owner died and `sleep` got its pid: same pid, another start.
        const gone = reusedBy(live);
        a.lifecycle.claimRun(id, null, gone);
        expect(ownerAlive(gone)).toBe(false);
        expect(b.lifecycle.orphanedRuns('QUEUED')).toEqual([{ id, owner: gone }]);
        expect(b.lifecycle.claimRun(id, gone, thisProcess())).toBe(true);
        expect(b.lifecycle.openRunOwner(id)).toEqual({ owner: thisProcess() });

        const { a: c, b: d, id: kept } = twoProcesses();
        c.lifecycle.claimRun(kept, null, live);
        expect(d.lifecycle.orphanedRuns('QUEUED')).toEqual([]);
        expect(d.lifecycle.claimRun(kept, null, thisProcess())).toBe(false);
        // Recorded before start times were kept: the pid alone decides, as it did.
        c.lifecycle.releaseRuns([kept], live);
        c.lifecycle.claimRun(kept, null, { pid: live.pid, start: null });
        expect(d.lifecycle.orphanedRuns('QUEUED')).toEqual([]);
      });
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'reconciles a running run whose supervisor’s pid went to another process, and leaves a live supervisor’s alone',
    async () => {
      await withSleeper(async (live) => {
        const wb = await openWorkbench(dirs.make());
        try {
          const run = (owner: ProcessIdentity, apiToken: string) =>
            wb.tracking.createRun({
              experimentId: '0',
              status: 'RUNNING',
              spec: {},
              recipe: { inputs: [], apiToken, owner },
            });
          const orphan = run(reusedBy(live), 'tok-orphan');
          const followed = run(live, 'tok-followed');
          // What `mlwb runs list` does: settle runs nobody answers for.
          await wb.runs.resume({ onlyFinished: true });
          expect(wb.tracking.run(orphan).status).toBe('LOST');
          expect(wb.tracking.run(followed).status).toBe('RUNNING');
          expect(wb.tracking.lifecycle.openRunOwner(followed)).toEqual({ owner: live });
        } finally {
          await wb.close();
        }
      });
    },
  );

  it('leaves runs a script logs through MLflow alone: there is no container to launch or follow', () => {
    const { a, b } = twoProcesses();
    const script = a.createRun({ experimentId: '0', status: 'RUNNING' });
    const scheduled = a.createRun({ experimentId: '0', status: 'QUEUED' });
    expect(b.lifecycle.orphanedRuns('RUNNING')).toEqual([]);
    expect(b.lifecycle.orphanedRuns('QUEUED').map((r) => r.id)).not.toContain(scheduled);
    expect(b.lifecycle.openRunOwner(script)).toBeUndefined();
    expect(b.lifecycle.claimRun(script, null, p(1111))).toBe(false);
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
    a.lifecycle.claimRun(id, null, p(1111));
    expect(b.lifecycle.handOverRuns([id], p(2222), p(3333))).toEqual([]);
    expect(b.lifecycle.handOverRuns([id], p(1111), p(3333))).toEqual([id]);
    expect(a.lifecycle.openRunOwner(id)).toEqual({ owner: p(3333) });
    a.lifecycle.markRunning(id);
    expect(a.lifecycle.handOverRuns([id], p(3333), p(4444))).toEqual([]);
  });

  it('moves a state forward once: a cancel and a launcher, a follower and another writer', () => {
    const { a, b, id } = twoProcesses();
    // Cancelled while its container starts: the launcher's QUEUED → RUNNING then fails.
    expect(b.lifecycle.endQueued(id, 'KILLED', 'Cancelled before it started.')).toBe(true);
    expect(a.lifecycle.markRunning(id)).toBe(false);
    expect(a.lifecycle.openRunOwner(id)).toBeUndefined();

    const { a: c, b: d, id: run } = twoProcesses();
    expect(c.lifecycle.markRunning(run)).toBe(true);
    expect(d.lifecycle.endQueued(run, 'KILLED', 'too late')).toBe(false);
    expect(d.lifecycle.requestCancel(run)).toBe(true);
    expect(
      c.lifecycle.endRunning(run, { status: 'KILLED', exitCode: 137, reason: 'Cancelled by the user.' }),
    ).toBe(true);
    expect(d.lifecycle.endRunning(run, { status: 'LOST', reason: 'gone' })).toBe(false);
    expect(d.lifecycle.requestCancel(run)).toBe(false);
    expect(d.runRow(run)).toMatchObject({
      status: 'KILLED',
      exit_code: 137,
      failure_reason: 'Cancelled by the user.',
    });
  });

  it('creates a recipe run with its inputs, token and owner at once, and its token opens it only while open', () => {
    const { a, b } = twoProcesses();
    const inputs = [
      { channel: 'test', dataset: 'iris', version: 2, digest: 'd2' },
      { channel: 'train', dataset: 'iris', version: 1, digest: 'd1' },
    ];
    const id = a.createRun({
      experimentId: '0',
      status: 'QUEUED',
      spec: {},
      recipe: { inputs: [inputs[1]!, inputs[0]!], apiToken: 'tok-1', owner: p(1111) },
    });
    expect(b.runInputs(id)).toEqual(inputs);
    expect(b.runToken(id)).toBe('tok-1');
    expect(b.lifecycle.openRunOwner(id)).toEqual({ owner: p(1111) });
    expect(b.openRunOfToken('tok-1')).toEqual({ runId: id, experimentId: '0' });
    expect(b.openRunOfToken('tok-2')).toBeUndefined();
    a.lifecycle.markRunning(id);
    expect(b.openRunOfToken('tok-1')).toEqual({ runId: id, experimentId: '0' });
    a.lifecycle.endRunning(id, { status: 'FINISHED', exitCode: 0, reason: null });
    expect(b.openRunOfToken('tok-1')).toBeUndefined();
    // A run that fails to be created leaves nothing behind: no inputs without their run.
    const duplicate = [inputs[0]!, inputs[0]!];
    expect(() =>
      a.createRun({
        experimentId: '0',
        status: 'QUEUED',
        spec: {},
        recipe: { inputs: duplicate, apiToken: 'tok-3', owner: p(1111) },
      }),
    ).toThrow();
    expect(b.openRunOfToken('tok-3')).toBeUndefined();
    expect(b.lifecycle.queuedOwnedBy(p(1111))).toEqual([]);
  });

  it('keeps how far metrics.jsonl was read, and the last step of a series', () => {
    const { a, b, id } = twoProcesses();
    expect(b.metricsOffset(id)).toBe(0);
    a.advanceMetricsOffset(id, 120, 2);
    a.advanceMetricsOffset(id, 300, 1);
    expect(b.metricsOffset(id)).toBe(300);
    expect(b.runRow(id).skipped_metrics).toBe(3);
    expect(b.lastStep(id, 'loss')).toBeNull();
    a.logMetrics(id, [
      { key: 'loss', value: 1, step: 4, timestamp: 1 },
      { key: 'loss', value: 0.5, step: 9, timestamp: 2 },
    ]);
    expect(b.lastStep(id, 'loss')).toBe(9);
  });
});
