/**
 * A run a script on the host creates through the MLflow API has no container: reconciliation, in
 * any process, must leave it alone. `mlwb runs list` and `mlwb runs wait` (separate processes) and
 * the app starting on the same home all see it RUNNING until the script itself ends it.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApi } from '../core/api.ts';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { openWorkbench } from '../core/workbench.ts';
import { startServer } from '../server/server.ts';
import { mlwbJson as json, mlwb } from './testing/mlwbProcess.ts';

const dirs = tempDirs();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The run's status as the store has it, read directly (not through a process that reconciles). */
function status(home: string, id: string): string {
  const db = new Database(path.join(home, 'workbench.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT status FROM runs WHERE id = ?').pluck().get(id) as string;
  } finally {
    db.close();
  }
}

describe('runs a script logs through MLflow', () => {
  it('stay RUNNING through runs list, runs wait and the app starting, until the script ends them', async () => {
    const home = dirs.make();
    const app = await openWorkbench(home, { mode: 'browser' });
    const server = await startServer(app, createApi(app), { port: 0, rendererDir: dirs.make() });
    const mlflow = (endpoint: string, body: unknown) =>
      fetch(`http://127.0.0.1:${server.port}/api/2.0/mlflow/${endpoint}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { run: { info: { run_id: string } } },
      }));
    try {
      const created = await mlflow('runs/create', { experiment_id: '0', run_name: 'from-a-script' });
      expect(created.status).toBe(200);
      const id: string = created.body.run.info.run_id;
      const logged = await mlflow('runs/log-metric', {
        run_id: id,
        key: 'k',
        value: 1,
        timestamp: 1,
        step: 0,
      });
      expect(logged.status).toBe(200);

      // Another process lists the runs (settling those it finds ended) and shows this one.
      const listed = await json(home, 'runs', 'list');
      expect(listed.runs.find((r: { id: string }) => r.id === id)).toMatchObject({ status: 'RUNNING' });
      expect((await json(home, 'runs', 'show', id)).run.status).toBe('RUNNING');

      // Another waits for it: it waits, and takes nothing over.
      const waiting = mlwb(home, 'runs', 'wait', id, '--json');
      await sleep(3000);
      expect(status(home, id)).toBe('RUNNING');

      // The app starting again on the same home, after this one, takes over nothing either.
      await app.runs.resume();
      const next = await openWorkbench(home);
      try {
        await next.runs.resume();
        expect(next.tracking.run(id).status).toBe('RUNNING');
      } finally {
        await next.close();
      }
      expect(status(home, id)).toBe('RUNNING');

      // The script ends it; the waiter says how.
      const ended = await mlflow('runs/update', { run_id: id, status: 'FINISHED', end_time: Date.now() });
      expect(ended.status).toBe(200);
      const waited = await waiting;
      expect(waited.code, waited.stderr).toBe(0);
      expect(JSON.parse(waited.stdout).runs).toEqual([
        { id, status: 'FINISHED', params: {}, metrics: { k: 1 } },
      ]);
    } finally {
      await server.close();
      await app.close();
    }
  }, 120_000);
});
