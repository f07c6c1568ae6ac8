/**
 * Detached runs from the command line, for real (separate `mlwb` processes, the Docker engine):
 * `mlwb run --detach` returns once the runs are queued and they go on with no foreground process;
 * another process cancels one; they log through MLflow; they outlive SIGHUP to the terminal's
 * process group; `mlwb runs wait` says how they ended; and a run whose supervisor dies is
 * finished by the next process, which serves its MLflow endpoint again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { dockerSkipReason, mlflowClientScript, writeRecipe } from '../core/testing/trainingFixtures.ts';
import { LABEL_RUN } from '../core/training/containerRun.ts';
import { openWorkbench } from '../core/workbench.ts';
import { alive, BIN, mlwbJson as json, mlwb } from './testing/mlwbProcess.ts';

const skipReason = await dockerSkipReason();
const dirs = tempDirs();

interface Row {
  status: string;
  follower_pid: number | null;
  created_at: number;
  failure_reason: string | null;
}

/** The run as the store has it, read directly: polling through the CLI would itself follow runs. */
function row(home: string, id: string): Row {
  const db = new Database(path.join(home, 'workbench.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db
      .prepare('SELECT status, follower_pid, created_at, failure_reason FROM runs WHERE id = ?')
      .get(id) as Row;
  } finally {
    db.close();
  }
}

function metricHistory(home: string, id: string, key: string): [number, number][] {
  const db = new Database(path.join(home, 'workbench.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT step, value FROM run_metrics WHERE run_id = ? AND key = ? ORDER BY step')
      .raw()
      .all(id, key) as [number, number][];
  } finally {
    db.close();
  }
}

async function until(what: string, check: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ended = (home: string, id: string) => !['QUEUED', 'RUNNING'].includes(row(home, id).status);

/** `mlwb run RECIPE --detach --json`: its one document's run ids. */
async function detach(home: string, recipe: string, ...args: string[]): Promise<string[]> {
  const r = await mlwb(home, 'run', recipe, '--detach', '--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).runs.map((x: { id: string }) => x.id);
}

describe.skipIf(Boolean(skipReason))(`detached runs${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('returns at once with the queued runs; the run then finishes with its metrics and logs, with no foreground process', async () => {
    const home = dirs.make();
    const recipe = writeRecipe(dirs.make(), {
      name: 'later',
      script: [
        'import json, time',
        'print("hello", flush=True)',
        'time.sleep(4)',
        'open("/workbench/output/metrics.jsonl", "w").write(json.dumps({"key": "m", "value": 1.5, "step": 0}) + "\\n")',
        'print("loss=0.25", flush=True)',
      ],
      metrics: [{ key: 'loss', regex: 'loss=([-+0-9.eE]+)' }],
    });
    // Supervisor logs from long ago go when a supervisor starts; recent ones stay.
    fs.mkdirSync(path.join(home, 'runs'), { recursive: true });
    const old = path.join(home, 'runs', 'supervisor-old.log');
    const recent = path.join(home, 'runs', 'supervisor-recent.log');
    for (const f of [old, recent]) fs.writeFileSync(f, 'earlier\n');
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    fs.utimesSync(old, longAgo, longAgo);
    // The app, open on the home, hears the run live: its lines and metrics, through the store's
    // event journal the supervisor writes.
    const app = await openWorkbench(home, { mode: 'browser' });
    const heardLines: string[] = [];
    const heardMetrics: string[] = [];
    app.events.subscribe((topic, payload) => {
      if (topic === 'run.log')
        for (const l of (payload as { lines: { text: string }[] }).lines) heardLines.push(l.text);
      if (topic === 'changed')
        heardMetrics.push(
          ...(payload as { entities: string[] }).entities.filter((e) => e.endsWith(':metrics')),
        );
    });
    const run = mlwb(home, 'run', recipe, '--detach', '--json');
    const r = await run;
    const returnedAt = Date.now();
    expect(r.code, r.stderr).toBe(0);
    // Exactly one JSON document on stdout (JSON.parse refuses two).
    const doc = JSON.parse(r.stdout);
    expect(doc.runs).toHaveLength(1);
    const [first] = doc.runs;
    expect(first).toEqual({ id: expect.any(String), status: 'QUEUED', params: {}, metrics: {} });
    // "At once": a generous bound on a loaded machine for what should take well under a second.
    expect(returnedAt - row(home, first.id).created_at).toBeLessThan(5000);

    // The launching command has exited; a supervisor in a session of its own answers for the run.
    const supervisor = row(home, first.id).follower_pid!;
    expect(supervisor).not.toBe(run.child.pid);
    expect(alive(supervisor)).toBe(true);
    if (process.platform === 'linux') {
      const sid = Number(fs.readFileSync(`/proc/${supervisor}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
      expect(sid).toBe(supervisor);
    }
    await until('the run ends', () => ended(home, first.id));
    await until('the app heard the run live', () => heardLines.includes('loss=0.25'), 10_000);
    // In order (a note the workbench adds to the log may come between).
    expect(heardLines.filter((l) => l === 'hello' || l === 'loss=0.25')).toEqual(['hello', 'loss=0.25']);
    expect(heardMetrics).toContain(`run:${first.id}:metrics`);
    await app.close();
    const shown = await json(home, 'runs', 'show', first.id);
    expect(shown.run.status, shown.detail.failureReason ?? '').toBe('FINISHED');
    expect(shown.run.metrics).toEqual({ m: 1.5, loss: 0.25 });
    const { lines: logs } = await json(home, 'runs', 'logs', first.id);
    // No note that MLflow is unavailable: the supervisor serves it.
    expect(logs.map((l: { text: string }) => l.text)).toEqual(['hello', 'loss=0.25']);
    await until('the supervisor exits', () => !alive(supervisor), 30_000);
    // Its runs all finished: its log went with it.
    expect(fs.existsSync(path.join(home, 'runs', `supervisor-${first.id}.log`))).toBe(false);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(recent)).toBe(true);
  });

  it('lets another process cancel a detached run: KILLED, its container gone, its supervisor ended', async () => {
    const home = dirs.make();
    // sleep as PID 1 ignores SIGTERM: the cancel takes the whole grace period, then kills.
    const recipe = writeRecipe(dirs.make(), { name: 'sleeper', command: ['sleep', '300'] });
    const [id] = await detach(home, recipe);
    await until('it runs', () => row(home, id!).status === 'RUNNING');
    const supervisor = row(home, id!).follower_pid!;

    const t = Date.now();
    const cancel = await mlwb(home, 'runs', 'cancel', id!, '--json');
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(JSON.parse(cancel.stdout)).toEqual({ status: 'KILLED', cancelled: true });
    expect(Date.now() - t).toBeLessThan(30_000);
    expect(row(home, id!)).toMatchObject({ status: 'KILLED', failure_reason: 'Cancelled by the user.' });
    const shown = await json(home, 'runs', 'show', id!);
    expect(shown.detail.exitCode).toBe(137);
    await until('the supervisor exits', () => !alive(supervisor), 30_000);
    // Not all finished: its log stays, saying how they ended.
    expect(fs.readFileSync(path.join(home, 'runs', `supervisor-${id}.log`), 'utf8')).toMatch(/KILLED/);
    const containers = await new Docker().listContainers({
      all: true,
      filters: { label: [`${LABEL_RUN}=${id}`] },
    });
    expect(containers).toEqual([]);
    const again = await mlwb(home, 'runs', 'cancel', id!);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: Run .* has already ended \(KILLED\)/);
  });

  it('gives a detached run its MLflow endpoint: a script logging through the REST API records its metrics', async () => {
    const home = dirs.make();
    const recipe = writeRecipe(dirs.make(), {
      name: 'rest',
      script: [
        ...mlflowClientScript(),
        'post("runs/log-batch", {"run_id": run, "metrics": [{"key": "k", "value": s * 2.0, "timestamp": 1, "step": s} for s in range(3)], "params": [{"key": "p", "value": "v"}]}, token)',
        'print("logged", flush=True)',
      ],
    });
    const [id] = await detach(home, recipe);
    await until('the run ends', () => ended(home, id!));
    const shown = await json(home, 'runs', 'show', id!);
    expect(shown.run.status, shown.detail.failureReason ?? '').toBe('FINISHED');
    expect(shown.run.metrics).toEqual({ k: 4 });
    expect(shown.run.params).toEqual({ p: 'v' });
  });

  it('leaves a supervisor’s queued runs to it while the app, open on the same home, schedules its own', async () => {
    const home = dirs.make();
    // The app, as it runs: it takes over what nobody answers for, and schedules after each run.
    const app = await openWorkbench(home);
    try {
      await app.runs.resume();
      const slow = writeRecipe(dirs.make(), {
        name: 'slow',
        script: ['import time', 'print("ran", flush=True)', 'time.sleep(3)'],
        params: { n: { type: 'int', default: 0 } },
      });
      const ids = await detach(home, slow, '--sweep', 'n=1,2', '--parallel', '1');
      // The app's own run ends while the supervisor's second run waits in its queue.
      const [own] = await app.runs.start({
        recipe: writeRecipe(dirs.make(), { name: 'own', command: ['true'] }),
      });
      await app.runs.waitFor(own!);
      expect(app.tracking.run(own!).status).toBe('FINISHED');
      const owners = new Set<number | null>();
      await until('the supervisor’s runs end', () => {
        for (const id of ids) owners.add(row(home, id).follower_pid);
        return ids.every((id) => ended(home, id));
      });
      expect(owners).not.toContain(process.pid);
      for (const id of ids) {
        expect(row(home, id).status).toBe('FINISHED');
        expect(app.runs.logs(id).filter((l) => l.text === 'ran')).toHaveLength(1);
      }
    } finally {
      await app.close();
    }
  });

  it('runs wait exits 0 when every run FINISHED and 3 otherwise, with one {runs} document', async () => {
    const home = dirs.make();
    const recipe = writeRecipe(dirs.make(), {
      name: 'exits',
      script: ['import os, sys', 'print("ran", flush=True)', 'sys.exit(int(os.environ["MLWB_PARAM_code"]))'],
      params: { code: { type: 'int', default: 0 } },
    });
    const [ok, bad] = await detach(home, recipe, '--sweep', 'code=0,1', '--parallel', '2');
    // Waiting while the supervisor runs them: the waiter launches nothing itself.
    const both = await mlwb(home, 'runs', 'wait', ok!, bad!, '--json');
    expect(both.code, both.stderr).toBe(3);
    const doc = JSON.parse(both.stdout);
    expect(doc.runs.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      [ok, 'FINISHED'],
      [bad, 'FAILED'],
    ]);
    expect(doc.runs[0]).toEqual({ id: ok, status: 'FINISHED', params: { code: '0' }, metrics: {} });
    const one = await mlwb(home, 'runs', 'wait', ok!, '--json');
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).runs).toHaveLength(1);
    // Each was launched once, by one process.
    for (const id of [ok!, bad!]) {
      const { lines: logs } = await json(home, 'runs', 'logs', id);
      expect(logs.filter((l: { text: string }) => l.text === 'ran')).toHaveLength(1);
    }
    expect((await mlwb(home, 'runs', 'wait', 'no-such-run')).code).toBe(1);
  });

  it('outlives SIGHUP to the terminal’s process group, and ignores one sent to the supervisor itself', async () => {
    const home = dirs.make();
    const out = path.join(dirs.make(), 'out.json');
    const recipe = writeRecipe(dirs.make(), {
      name: 'hup',
      script: ['import time', 'print("before", flush=True)', 'time.sleep(6)', 'print("after", flush=True)'],
    });
    // A shell as a terminal would run it: the group leader, still there after mlwb returns.
    const shell = spawn(
      'sh',
      ['-c', '"$0" "$1" --home "$2" run "$3" --detach --json > "$4" && exec sleep 120'].concat([
        process.execPath,
        BIN,
        home,
        recipe,
        out,
      ]),
      { detached: true, stdio: 'ignore' },
    );
    await until('mlwb has printed the run', () => {
      try {
        return JSON.parse(fs.readFileSync(out, 'utf8')).runs.length === 1;
      } catch {
        return false;
      }
    });
    const id: string = JSON.parse(fs.readFileSync(out, 'utf8')).runs[0].id;
    const supervisor = row(home, id).follower_pid!;
    const shellExited = new Promise((r) => shell.once('exit', r));
    process.kill(-shell.pid!, 'SIGHUP');
    await shellExited;
    await until('it runs', () => row(home, id).status !== 'QUEUED');
    process.kill(supervisor, 'SIGHUP');
    await until('the run ends', () => ended(home, id));
    expect(row(home, id).status).toBe('FINISHED');
    const { lines: logs } = await json(home, 'runs', 'logs', id);
    expect(logs.map((l: { text: string }) => l.text)).toEqual(expect.arrayContaining(['before', 'after']));
  });

  it('finishes a run whose supervisor was killed in the next process to wait for it, which serves its MLflow endpoint again and fills its log', async () => {
    const home = dirs.make();
    const recipe = writeRecipe(dirs.make(), {
      name: 'orphan',
      script: [
        ...mlflowClientScript(30),
        'import os.path',
        'post("runs/log-metric", {"run_id": run, "key": "k", "value": 1.0, "timestamp": 1, "step": 0}, token)',
        'print("first", flush=True)',
        'while not os.path.exists("/workbench/output/go"): time.sleep(0.1)',
        'print("in the gap", flush=True)',
        'post("runs/log-metric", {"run_id": run, "key": "k", "value": 2.0, "timestamp": 2, "step": 1}, token)',
        'print("second", flush=True)',
      ],
    });
    const [id] = await detach(home, recipe);
    const log = path.join(home, 'runs', id!, 'logs.txt');
    await until(
      'the first point is logged',
      () => fs.existsSync(log) && /first/.test(fs.readFileSync(log, 'utf8')),
    );
    const supervisor = row(home, id!).follower_pid!;
    process.kill(supervisor, 'SIGKILL');
    await until('the supervisor is gone', () => !alive(supervisor));

    const waiter = mlwb(home, 'runs', 'wait', id!, '--json');
    await until('the waiter takes the run over', () => row(home, id!).follower_pid === waiter.child.pid);
    fs.writeFileSync(path.join(home, 'runs', id!, 'output', 'go'), '');
    const waited = await waiter;
    expect(waited.code, waited.stderr).toBe(0);
    expect(JSON.parse(waited.stdout).runs[0]).toMatchObject({ id, status: 'FINISHED', metrics: { k: 2 } });
    expect(metricHistory(home, id!, 'k')).toEqual([
      [0, 1],
      [1, 2],
    ]);
    const texts = (await json(home, 'runs', 'logs', id!)).lines.map((l: { text: string }) => l.text);
    // Each line once, the one printed while nobody followed included; no note that MLflow was lost.
    expect(texts).toEqual(['first', 'in the gap', 'second']);
  });
});
