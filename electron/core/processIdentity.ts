/**
 * Which process holds something in the store — a run's owner (runs.follower_pid), a deployment's
 * hold (deployments.busy_pid), a write lease (write_leases.pid) — told apart from a later process
 * that was given the same pid.
 *
 * A pid alone is not enough: once a holder has died, the kernel hands its number to another
 * process, and a record naming it looks held for ever (its runs never reconciled, its hold never
 * released). So a holder is its pid and when it started. On Linux that is field 22 of
 * /proc/PID/stat (`starttime`, clock ticks since boot) with the boot's id
 * (/proc/sys/kernel/random/boot_id): together they name one process, and a record from before a
 * reboot names none. Elsewhere (macOS, Windows) another process's start time has no cheap read:
 * `start` is null and the pid alone decides, as it did before start times were kept. A record
 * written before then has a null start too.
 */
import fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** When it started, as `TICKS@BOOT-ID#PID` (the pid too, so two processes started in one tick differ); null where that cannot be read. */
  start: string | null;
}

let bootId: string | null | undefined;
let self: ProcessIdentity | undefined;

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** State and start of a process, from /proc; undefined where there is no /proc or no such process. */
function procStat(pid: number): { state: string; start: string } | undefined {
  if (process.platform !== 'linux') return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `PID (COMM) STATE PPID …`: COMM may hold spaces and parentheses, so fields count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ticks = fields[19]; // field 22, starttime
  if (!state || !ticks || !/^\d+$/.test(ticks)) return undefined;
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  // The pid is part of it: two processes started in the same clock tick have different starts,
  // so a holder's pid never changes without its start (migration 10's triggers rely on it).
  return { state, start: bootId ? `${ticks}@${bootId}#${pid}` : `${ticks}#${pid}` };
}

/** The process with this pid as it is now (a null start where that cannot be read). */
export function identityOf(pid: number): ProcessIdentity {
  return { pid, start: procStat(pid)?.start ?? null };
}

/** This process. */
export function thisProcess(): ProcessIdentity {
  self ??= identityOf(process.pid);
  return self;
}

/**
 * Whether `p` is this process: same pid and start, or — for a record without a start — the same
 * pid, as before start times were kept.
 */
export function isThisProcess(p: ProcessIdentity): boolean {
  const me = thisProcess();
  return p.pid === me.pid && (p.start === null || p.start === me.start);
}

/**
 * Whether the process a record names is still running: its pid exists, is not a zombie (exited,
 * not yet reaped), and started when the record says. Without a recorded start (an old record,
 * another platform), or where the start cannot be read now, the pid alone decides.
 */
export function isAlive(p: ProcessIdentity): boolean {
  if (!pidExists(p.pid)) return false;
  const now = procStat(p.pid);
  if (now && (now.state === 'Z' || now.state === 'X')) return false;
  if (p.start === null || now === undefined) return true;
  return now.start === p.start;
}
