/**
 * Events across processes, against a real SQLite home: the app (a browser-mode workbench) hears
 * what a terminal's `mlwb` — a whole process started as the README says — and another workbench
 * on the same home announced, and not its own events twice; streams stay in their process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EventOf, Topic } from '../../shared/contract.ts';
import { entities } from '../../shared/entities.ts';
import { createApi } from './api.ts';
import { tempDirs } from './testing/tempDirs.ts';
import { testWorkbench } from './testing/testWorkbench.ts';
import { openWorkbench } from './workbench.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/mlwb.js');
const app = testWorkbench({ mode: 'browser', each: true });
const dirs = tempDirs();

/** The app's events of `topic` from now on, and a wait for one that matches. */
function heard<T extends Topic>(topic: T) {
  const seen: EventOf<T>[] = [];
  const off = app.wb.events.subscribe((t, p) => {
    if (t === topic) seen.push(p as EventOf<T>);
  });
  return {
    seen,
    off,
    async until(match: (p: EventOf<T>) => boolean, ms = 30_000): Promise<EventOf<T>> {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const found = seen.find(match);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${topic} event matched within ${ms} ms; heard ${JSON.stringify(seen)}`);
    },
  };
}

describe('the app follows what other processes change', () => {
  it("announces a terminal's mlwb changes on its own bus", async () => {
    const changed = heard('changed');
    const src = dirs.make();
    fs.writeFileSync(path.join(src, 'a.csv'), 'x,y\n1,2\n');
    const cli = spawn(process.execPath, [BIN, '--home', app.wb.home, 'dataset', 'add', 'from-cli', src], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (b) => {
      stderr += b;
    });
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    expect(code, stderr).toBe(0);
    const e = await changed.until((p) => p.entities.includes(entities.datasets));
    expect(e.entities).toContain(entities.dataset('from-cli'));
    changed.off();
  }, 120_000);

  it('carries alerts and changes of another workbench on the home, not its own twice', async () => {
    const other = await openWorkbench(app.wb.home);
    try {
      const alerts = heard('alerts.moved');
      const changed = heard('changed');
      const moved: EventOf<'alerts.moved'> = {
        monitor: 'iris-monitor',
        fired: [
          {
            id: 'a1',
            monitor: 'iris-monitor',
            deployment: 'iris',
            rule: 'accuracy >= 0.9',
            state: 'firing',
            firedAt: 1,
            resolvedAt: null,
            value: 0.5,
            message: 'accuracy 0.5 < 0.9',
          },
        ],
        resolved: [],
      };
      other.events.emit('alerts.moved', moved);
      other.events.changed(entities.runs);
      // The app's own announcement is not heard again from the journal.
      app.wb.events.changed(entities.models);
      await createApi(other).call('datasets.add', { name: 'from-other', paths: [writeCsv()] });

      expect(await alerts.until((p) => p.monitor === 'iris-monitor')).toEqual(moved);
      await changed.until((p) => p.entities.includes(entities.dataset('from-other')));
      expect(changed.seen.filter((p) => p.entities.includes(entities.models))).toHaveLength(1);
      expect(changed.seen.some((p) => p.entities.includes(entities.runs))).toBe(true);
      alerts.off();
      changed.off();
    } finally {
      await other.close();
    }
  });
});

describe('a run followed by another process is live in the app', () => {
  it('carries its log lines (at most 200 a second, the rest counted) and its metrics (at most once a second, the last kept)', async () => {
    const terminal = await openWorkbench(app.wb.home);
    try {
      const logs = heard('run.log');
      const changed = heard('changed');
      const lines = Array.from({ length: 300 }, (_, i) => ({ stream: 'stdout' as const, text: `line ${i}` }));
      terminal.events.emit('run.log', { run: 'r1', lines, dropped: 5 });
      // Five metric updates in a burst: the first at once, the last once its second is up.
      for (let i = 0; i < 5; i++) terminal.events.changed(entities.runMetrics('r1'));
      // The app's own streams are its own: not written for others.
      app.wb.events.changed(entities.runMetrics('r2'));

      // A very long line is cut in the journal (the run's log on disk has it whole).
      terminal.events.emit('run.log', {
        run: 'r3',
        lines: [{ stream: 'stderr', text: 'x'.repeat(5000) }],
        dropped: 0,
      });
      expect((await logs.until((p) => p.run === 'r3')).lines[0]!.text).toBe(`${'x'.repeat(2048)}…`);
      const got = await logs.until((p) => p.run === 'r1');
      expect(got.lines).toHaveLength(200);
      expect(got.lines.at(-1)).toEqual({ stream: 'stdout', text: 'line 299' });
      expect(got.dropped).toBe(105);
      const metrics = () => changed.seen.filter((p) => p.entities.includes(entities.runMetrics('r1'))).length;
      await expect.poll(metrics, { timeout: 10_000 }).toBe(2);
      await new Promise((r) => setTimeout(r, 1500));
      expect(metrics()).toBe(2);
      const own = app.wb.db
        .prepare("SELECT count(*) AS n FROM event_journal WHERE payload LIKE '%r2%'")
        .get() as { n: number };
      expect(own.n).toBe(0);
      // Its second is up: the next is written at once; the one after is held back, and written
      // when the process closes its home rather than lost with it.
      terminal.events.changed(entities.runMetrics('r1'));
      terminal.events.changed(entities.runMetrics('r1'));
      await terminal.close();
      await expect.poll(metrics, { timeout: 10_000 }).toBe(4);
      logs.off();
      changed.off();
    } finally {
      await terminal.close().catch(() => {});
    }
  });
});

function writeCsv(): string {
  const f = path.join(dirs.make(), 'b.csv');
  fs.writeFileSync(f, 'x,y\n3,4\n');
  return f;
}
