/**
 * A window of traffic written as the drift check's table, from a real SQLite store: a page at a
 * time (other writes go on meanwhile), each scored row a line, floats kept floats.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { MonitorRepo } from './monitorRepo.ts';
import { writeWindowRows } from './windowExport.ts';

const dirs = tempDirs();

describe('window export', () => {
  it('writes every row of the window, page by page, while the store takes other writes', async () => {
    const root = dirs.make();
    const db = openDatabase(path.join(root, 'workbench.db'));
    const insert = db.prepare(
      `INSERT INTO requests (deployment_id, request_id, at, version, endpoint, status, latency_ms, rows, features, outputs, error)
       VALUES (?, ?, ?, 1, 'invocations', ?, 1, 2, ?, NULL, NULL)`,
    );
    const big = 'x'.repeat(200); // ~2.4 MB of window in all: more than a stream buffer per page
    db.transaction(() => {
      for (let i = 0; i < 12_000; i++)
        insert.run(
          'dep',
          `r${i}`,
          1000 + Math.floor(i / 3),
          i % 500 === 0 ? 400 : 200,
          JSON.stringify({ a: [i, 5], s: [big, 'y'] }),
        );
      insert.run('other', 'o', 2000, 200, JSON.stringify({ a: [1], s: ['z'] }));
      insert.run('dep', 'late', 99_999, 200, JSON.stringify({ a: [1], s: ['z'] }));
    })();
    const file = path.join(root, 'window.jsonl');
    let writes = 0;
    const writer = setInterval(() => {
      db.prepare(
        "INSERT INTO monitors (id, name, deployment, settings, created_at, updated_at) VALUES (?, ?, 'd', '{}', 0, 0)",
      ).run(`m${writes}`, `m${writes}`);
      writes++;
    }, 1);
    try {
      const written = await writeWindowRows(
        new MonitorRepo(db).featurePages({ deploymentId: 'dep', from: 1000, to: 99_999 }, 1000),
        [
          { name: 'a', float: true },
          { name: 's', float: false },
        ],
        file,
      );
      // 12,000 requests, the refused ones (every 500th) left out, two rows each.
      expect(written.rows).toBe((12_000 - 24) * 2);
      // Its identity, hashed as it was written, is the file's.
      const bytes = fs.readFileSync(file);
      expect(written.bytes).toBe(bytes.length);
      expect(written.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      clearInterval(writer);
    }
    expect(writes).toBeGreaterThan(0);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBe((12_000 - 24) * 2);
    expect(JSON.parse(lines[0]!)).toEqual({ a: 1, s: big });
    expect(lines[1]).toBe('{"a":5.0,"s":"y"}');
    // Pages follow each other exactly: no request twice, none left out, in order.
    const ids = lines.filter((_, k) => k % 2 === 0).map((l) => (JSON.parse(l) as { a: number }).a);
    expect(ids).toEqual(Array.from({ length: 12_000 }, (_, i) => i).filter((i) => i % 500 !== 0));
    db.close();
  });

  it('keeps a float a float, written so the table reads it as one', async () => {
    const file = path.join(dirs.make(), 'w.jsonl');
    const features = JSON.stringify({
      f: [5, 1e21, -3, 2.5, null, 'NaN'],
      i: [5, 1e21, -3, 2.5, null, 'NaN'],
    });
    await writeWindowRows(
      [[{ features }]],
      [
        { name: 'f', float: true },
        { name: 'i', float: false },
      ],
      file,
    );
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toEqual([
      '{"f":5.0,"i":5}',
      '{"f":1e+21,"i":1e+21}',
      '{"f":-3.0,"i":-3}',
      '{"f":2.5,"i":2.5}',
      '{"f":null,"i":null}',
      '{"f":"NaN","i":"NaN"}',
    ]);
    for (const l of lines) JSON.parse(l);
  });
});
