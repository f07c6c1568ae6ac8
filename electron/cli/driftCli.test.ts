/** `mlwb drift` as a CI pipeline uses it: JSON on stdout, exit 3 on dataset drift, presets. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../core/testing/tempDirs.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/mlwb.js');
const dirs = tempDirs();

function mlwb(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--home', home, ...args], { cwd: home }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('mlwb drift', () => {
  it('exits 0 without drift, 3 with it, 1 on bad input and 2 on bad usage; JSON has the documented shape', async () => {
    const home = dirs.make();
    const rows = (f: (i: number) => string) =>
      `v,k\n${Array.from({ length: 200 }, (_, i) => f(i)).join('\n')}\n`;
    fs.writeFileSync(
      path.join(home, 'ref.csv'),
      rows((i) => `${i % 50},${'abc'[i % 3]}`),
    );
    fs.writeFileSync(
      path.join(home, 'cur.csv'),
      rows((i) => `${(i % 50) + 30},${'abd'[i % 3]}`),
    );

    const same = await mlwb(home, 'drift', '--reference', 'ref.csv', '--current', 'ref.csv', '--json');
    expect(same.code).toBe(0);
    const doc = JSON.parse(same.stdout);
    expect(doc).toMatchObject({
      datasetDrift: false,
      share: 0,
      driftShare: 0.5,
      reference: { rows: 200 },
      current: { rows: 200 },
    });
    for (const c of doc.columns) {
      for (const k of [
        'column',
        'type',
        'method',
        'statistic',
        'pValue',
        'threshold',
        'drifted',
        'missingShare',
      ]) {
        expect(c).toHaveProperty(k);
      }
    }

    const drift = await mlwb(home, 'drift', '--reference', 'ref.csv', '--current', 'cur.csv', '--json');
    expect(drift.code).toBe(3);
    const d = JSON.parse(drift.stdout);
    expect(d.datasetDrift).toBe(true);
    // "d" never occurs in the reference: chisquare reports +∞ and p = 0, as JSON strings/numbers.
    expect(d.columns.find((c: { column: string }) => c.column === 'k')).toMatchObject({
      method: 'chisquare',
      statistic: 'Infinity',
      pValue: 0,
      drifted: true,
    });

    const only = await mlwb(
      home,
      'drift',
      '--reference',
      'ref.csv',
      '--current',
      'cur.csv',
      '--columns',
      'k',
      '--method',
      'k=psi',
      '--threshold',
      'k=10',
      '--json',
    );
    expect(only.code).toBe(0);
    expect(JSON.parse(only.stdout).columns).toHaveLength(1);

    expect((await mlwb(home, 'drift', '--reference', 'ref.csv')).code).toBe(2);
    expect(
      (await mlwb(home, 'drift', '--reference', 'ref.csv', '--current', 'cur.csv', '--method', 'magic')).code,
    ).toBe(2);
    const missing = await mlwb(home, 'drift', '--reference', 'nope.csv', '--current', 'cur.csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: There is no reference file/);

    expect(
      (await mlwb(home, 'drift', 'presets', 'save', 'lenient', '--drift-share', '1', '--threshold', '0'))
        .code,
    ).toBe(0);
    const lenient = await mlwb(
      home,
      'drift',
      '--reference',
      'ref.csv',
      '--current',
      'cur.csv',
      '--preset',
      'lenient',
      '--json',
    );
    expect(JSON.parse(lenient.stdout).driftShare).toBe(1);
    const { reports } = JSON.parse((await mlwb(home, 'drift', 'reports', '--json')).stdout);
    expect(reports.length).toBe(4);
  });
});
