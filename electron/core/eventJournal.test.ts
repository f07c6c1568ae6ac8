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

  it('carries alerts and changes of another workbench on the home, not its own twice, not streams', async () => {
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
      // A stream (a running run's metrics) stays where it was announced; the rest crosses.
      other.events.changed(entities.runMetrics('r1'), entities.runs);
      // The app's own announcement is not heard again from the journal.
      app.wb.events.changed(entities.models);
      await createApi(other).call('datasets.add', { name: 'from-other', paths: [writeCsv()] });

      expect(await alerts.until((p) => p.monitor === 'iris-monitor')).toEqual(moved);
      await changed.until((p) => p.entities.includes(entities.dataset('from-other')));
      expect(changed.seen.filter((p) => p.entities.includes(entities.models))).toHaveLength(1);
      expect(changed.seen.some((p) => p.entities.includes(entities.runMetrics('r1')))).toBe(false);
      expect(changed.seen.some((p) => p.entities.includes(entities.runs))).toBe(true);
      alerts.off();
      changed.off();
    } finally {
      await other.close();
    }
  });
});

function writeCsv(): string {
  const f = path.join(dirs.make(), 'b.csv');
  fs.writeFileSync(f, 'x,y\n3,4\n');
  return f;
}
