/**
 * A holder in the store is its pid and when it started, so a process that later got a dead
 * holder's pid is not taken for it. Against real processes (a `sleep` stands for a process that got
 * the pid) and a real SQLite file: a deployment's hold and a write lease whose recorded start is not
 * the live process's are taken over or cleared; held by the live process itself, they stay.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentRepo } from './deploy/deploymentRepo.ts';
import { deploymentRecord } from './deploy/testing/deploymentRecords.ts';
import { oldestLiveLease, takeLease } from './objects/writeLease.ts';
import {
  identityOf,
  isAlive,
  isThisProcess,
  type ProcessIdentity,
  pidExists,
  thisProcess,
} from './processIdentity.ts';
import { openDatabase } from './store/database.ts';
import { tempDirs } from './testing/tempDirs.ts';

const dirs = tempDirs();
const linux = process.platform === 'linux';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A live process other than this one, and its identity. */
async function sleeper(): Promise<ProcessIdentity> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  return identityOf(child.pid!);
}

/** The same pid, started one clock tick earlier: the process a record names died, `sleep` got its pid. */
function reused(live: ProcessIdentity): ProcessIdentity {
  const [ticks, boot] = live.start!.split('@');
  return { pid: live.pid, start: `${Number(ticks) - 1}@${boot}` };
}

describe.skipIf(!linux)('process identity (Linux: /proc)', () => {
  it('names a process by pid and start: a live process is alive only with its own start', async () => {
    const live = await sleeper();
    expect(live.start).toMatch(new RegExp(`^\\d+@[0-9a-f-]{36}#${live.pid}$`));
    expect(identityOf(live.pid)).toEqual(live);
    expect(isAlive(live)).toBe(true);
    expect(isAlive(reused(live))).toBe(false);
    // Started in another boot: no process of this one.
    expect(
      isAlive({ pid: live.pid, start: `${live.start!.split('@')[0]}@00000000-0000-0000-0000-000000000000` }),
    ).toBe(false);
    // A record from before start times were kept: the pid alone decides, as it did.
    expect(isAlive({ pid: live.pid, start: null })).toBe(true);
    expect(thisProcess()).toEqual(identityOf(process.pid));
    expect(isThisProcess(thisProcess())).toBe(true);
    expect(isThisProcess({ pid: process.pid, start: null })).toBe(true);
    expect(isThisProcess(reused(thisProcess()))).toBe(false);
  });

  it('tells apart two processes that started in the same clock tick, by their pids', () => {
    const me = thisProcess();
    const [, rest] = me.start!.split('@');
    expect(rest).toMatch(new RegExp(`#${process.pid}$`));
    // The same start with another pid: the trigger of migration 10 never takes it for a pid
    // changed alone.
    expect(isThisProcess({ pid: process.pid, start: me.start!.replace(/#\d+$/, '#1') })).toBe(false);
  });

  it('takes an exited process for dead, reaped or not', () => {
    const gone = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    expect(isAlive({ pid: gone, start: null })).toBe(false);
    // A child that exits under a parent that never reaps it: a zombie. (perl-base is in every
    // Debian; a shell may reap a background job before it execs.)
    const parent = spawn(
      'perl',
      ['-e', '$| = 1; my $p = fork(); if (!$p) { exit 0 } print "$p\n"; sleep 5'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(parent);
    return new Promise<void>((resolve, reject) => {
      parent.stdout!.once('data', (d: Buffer) => {
        const zombie = Number(String(d).trim());
        setTimeout(() => {
          try {
            expect(pidExists(zombie)).toBe(true);
            expect(isAlive({ pid: zombie, start: null })).toBe(false);
            resolve();
          } catch (err) {
            reject(err);
          }
        }, 300);
      });
    });
  });

  it('lets a deployment hold whose holder’s pid now names another process be taken; a live holder keeps it', async () => {
    const db = openDatabase(path.join(dirs.make(), 'workbench.db'));
    const repo = new DeploymentRepo(db);
    repo.create(
      deploymentRecord('iris', { port: 8100, image: 'mlwb-model/iris:1' }),
      null,
      'a deploy of iris@1',
    );
    const live = await sleeper();
    const heldBy = (p: ProcessIdentity) =>
      db
        .prepare('UPDATE deployments SET busy_pid = ?, busy_pid_start = ? WHERE name = ?')
        .run(p.pid, p.start, 'iris');

    heldBy(live);
    expect(repo.get('iris').busy).toBe('a deploy of iris@1');
    expect(() => repo.hold('iris', 'an update')).toThrow(/iris is busy: a deploy of iris@1 is under way/);

    heldBy(reused(live));
    expect(repo.get('iris').busy).toBeNull();
    expect(repo.hold('iris', 'an update').busy).toBe('an update');
    expect(db.prepare('SELECT busy_pid, busy_pid_start FROM deployments').get()).toEqual({
      busy_pid: process.pid,
      busy_pid_start: thisProcess().start,
    });
    repo.release('iris');
    expect(repo.get('iris').busy).toBeNull();

    // A process from before migration 10 takes the hold by its pid alone: the start left behind
    // (the previous holder's) must not make that live holder look gone.
    heldBy(reused(live));
    db.prepare('UPDATE deployments SET busy_pid = ?, busy_what = ?, busy_until = ? WHERE name = ?').run(
      process.pid,
      'an old app’s update',
      Date.now() + 60_000,
      'iris',
    );
    expect(db.prepare('SELECT busy_pid_start FROM deployments').get()).toEqual({ busy_pid_start: null });
    expect(repo.get('iris').busy).toBe('an old app’s update');
    db.close();
  });

  it('clears a write lease whose holder’s pid now names another process; a live holder’s lease stays', async () => {
    const db = openDatabase(path.join(dirs.make(), 'workbench.db'));
    const live = await sleeper();
    const lease = (id: string, p: ProcessIdentity, startedAt: number) =>
      db
        .prepare('INSERT INTO write_leases (id, pid, pid_start, started_at) VALUES (?, ?, ?, ?)')
        .run(id, p.pid, p.start, startedAt);
    lease('stale', reused(live), 1000);
    lease('live', live, 2000);
    expect(oldestLiveLease(db)).toBe(2000);
    expect(db.prepare('SELECT id FROM write_leases').pluck().all()).toEqual(['live']);
    const release = takeLease(db);
    expect(db.prepare('SELECT pid, pid_start FROM write_leases WHERE id != ?').get('live')).toEqual({
      pid: process.pid,
      pid_start: thisProcess().start,
    });
    release();
    db.close();
  });
});
