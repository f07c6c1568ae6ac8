/**
 * Detached runs (`mlwb run --detach`, `mlwb runs rerun --detach`): the runs go on with no
 * foreground process. The command queues them held for another process, starts a supervisor —
 * this CLI again as `mlwb runs supervise` (not in the help), in a session of its own with no
 * terminal, its output in `<home>/runs/supervisor-<first run id>.log` — hands the runs to it
 * (runs.handOver), and returns. A supervisor whose runs all FINISHED removes its log (there is
 * nothing in it to look at); one that ended otherwise keeps it, and logs older than
 * SUPERVISOR_LOG_DAYS go when the next supervisor starts.
 *
 * The supervisor is an ordinary `mlwb runs` process: it serves the MLflow endpoint for its runs'
 * containers (main.ts starts the tracking listener), launches them at most --parallel at once,
 * follows them (logs, metrics, final state) and exits when they have all ended. Closing the
 * terminal does not stop it (own session; SIGHUP ignored). SIGTERM or SIGINT stop it gracefully:
 * the runs go on in the engine and the next workbench process takes them over.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Api } from '../core/api.ts';
import { conflict, ioError } from '../core/errors.ts';
import { UsageError } from './output.ts';

/** How long a supervisor's log is kept when its runs did not all finish. */
export const SUPERVISOR_LOG_DAYS = 30;

export const supervisorLog = (home: string, firstRun: string) =>
  path.join(home, 'runs', `supervisor-${firstRun}.log`);

/** Removes supervisor logs last written more than SUPERVISOR_LOG_DAYS ago. */
function pruneSupervisorLogs(home: string): void {
  const dir = path.join(home, 'runs');
  const before = Date.now() - SUPERVISOR_LOG_DAYS * 86_400_000;
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /^supervisor-.*\.log$/.test(n));
  } catch {
    return;
  }
  for (const n of names) {
    const file = path.join(dir, n);
    try {
      if (fs.lstatSync(file).mtimeMs < before) fs.rmSync(file, { force: true });
    } catch {
      // Gone meanwhile, or not ours to remove: left.
    }
  }
}

export interface Supervisor {
  pid: number;
  log: string;
}

/** Starts `mlwb runs supervise` detached from this process and its terminal. */
export function spawnSupervisor(home: string, ids: string[], parallel: number): Supervisor {
  // Whatever started this CLI (bin/mlwb.js under tsx, a packaged entry) starts it again.
  const entry = process.argv[1];
  if (!entry) throw new Error('Cannot tell how this CLI was started, so it cannot start a supervisor.');
  const log = supervisorLog(home, ids[0]!);
  pruneSupervisorLogs(home);
  const fd = fs.openSync(log, 'a');
  try {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        entry,
        '--home',
        home,
        'runs',
        'supervise',
        '--parallel',
        String(parallel),
        ...ids,
      ],
      { cwd: home, detached: true, stdio: ['ignore', fd, fd], env: process.env },
    );
    child.on('error', () => {}); // reported below: no pid
    if (child.pid === undefined)
      throw new Error(`Could not start the supervisor for the detached runs (${process.execPath}).`);
    child.unref();
    return { pid: child.pid, log };
  } finally {
    fs.closeSync(fd);
  }
}

/** Hands queued runs (created with detach) to a new supervisor; they go on without this process. */
export async function detachRuns(api: Api, ids: string[], parallel: number): Promise<Supervisor> {
  const { home } = await api.call('app.info', {});
  let supervisor: Supervisor;
  try {
    supervisor = spawnSupervisor(home, ids, parallel);
  } catch (err) {
    throw ioError(
      `${(err as Error).message} The runs are queued: \`mlwb runs wait ${ids.join(' ')}\` runs them in the foreground.`,
    );
  }
  const moved = await api.call('runs.handOver', { ids, pid: supervisor.pid });
  if (moved.runs.length !== ids.length) {
    const left = ids.filter((id) => !moved.runs.includes(id));
    throw conflict(
      `Runs ${left.join(', ')} could not be handed to the supervisor (they were cancelled or taken meanwhile).`,
    );
  }
  return supervisor;
}

/** `mlwb runs supervise [--parallel N] ID…`: what a detached command leaves running. */
export async function superviseCommand(api: Api, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { parallel: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const parallel = values.parallel === undefined ? 1 : Number(values.parallel);
  if (!positionals.length || !Number.isInteger(parallel) || parallel < 1)
    throw new UsageError('usage: mlwb runs supervise [--parallel N] ID…');
  // The terminal the runs were started from may close: that is no reason to stop.
  process.on('SIGHUP', () => {});
  const stop = new AbortController();
  const onStop = () => stop.abort();
  process.once('SIGTERM', onStop);
  process.once('SIGINT', onStop);
  const say = (text: string) => process.stdout.write(`${new Date().toISOString()} ${text}\n`);
  say(`supervisor ${process.pid}: ${positionals.length} run(s), at most ${parallel} at once`);
  try {
    const { runs } = await api.call(
      'runs.wait',
      { ids: positionals, adopt: true, parallel },
      { signal: stop.signal },
    );
    for (const r of runs) say(`${r.id} ${r.status}`);
    if (runs.every((r) => r.status === 'FINISHED')) {
      const { home } = await api.call('app.info', {});
      // Unlinked while still open as this process's output: fine where it runs (POSIX); elsewhere
      // the removal fails and the log stays until it is old.
      fs.rmSync(supervisorLog(home, positionals[0]!), { force: true });
    }
    return 0;
  } catch (err) {
    say(`stopped: ${(err as Error).message}`);
    throw err;
  } finally {
    // SIGHUP stays ignored: the workbench still closes after this.
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
  }
}
