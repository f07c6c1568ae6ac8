/**
 * Taking request logs into the store, against a real SQLite file and real log files laid out as
 * the model server writes them (g<N>/requests[.K].jsonl, rotated by renaming).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/database.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { RequestLogIngest } from './requestLogIngest.ts';

const dirs = tempDirs();

function line(id: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    id,
    time: '2026-11-29T10:00:00.000Z',
    model: 'iris',
    version: 1,
    endpoint: 'invocations',
    features: { a: [1, 2], b: [3, 4] },
    outputs: { label: [0, 1] },
    latencyMs: 1.5,
    status: 200,
    ...extra,
  })}\n`;
}

function setup() {
  const root = dirs.make();
  const db = openDatabase(path.join(root, 'workbench.db'));
  const logs = path.join(root, 'requests');
  fs.mkdirSync(path.join(logs, 'g1'), { recursive: true });
  const ids = () =>
    (db.prepare('SELECT request_id FROM requests ORDER BY seq').all() as { request_id: string }[]).map(
      (r) => r.request_id,
    );
  return { db, logs, ids, file: (name: string, g = 'g1') => path.join(logs, g, name) };
}

describe('request log ingest', () => {
  it('takes each line once, across appends, rotations and a line still being written', async () => {
    const { db, logs, ids, file } = setup();
    const ingest = new RequestLogIngest(db);
    fs.writeFileSync(file('requests.jsonl'), line('r1') + line('r2') + line('r3').slice(0, 20));
    expect(await ingest.ingest('dep', logs)).toEqual({ added: 2, skipped: 0 });
    expect(ids()).toEqual(['r1', 'r2']);

    // The half-written line completes; then the server rotates and starts a new file.
    fs.appendFileSync(file('requests.jsonl'), line('r3').slice(20));
    fs.renameSync(file('requests.jsonl'), file('requests.1.jsonl'));
    fs.writeFileSync(file('requests.jsonl'), line('r4'));
    // A second generation (a replacement's container) writes its own folder, and so does each
    // replica of a Swarm service; other folders are not logs.
    fs.mkdirSync(path.join(logs, 'g2'));
    fs.writeFileSync(file('requests.jsonl', 'g2'), line('r5', { version: 2 }));
    fs.mkdirSync(path.join(logs, 'g3-r2'));
    fs.writeFileSync(file('requests.jsonl', 'g3-r2'), line('r6', { version: 3 }));
    fs.mkdirSync(path.join(logs, 'other'));
    fs.writeFileSync(file('requests.jsonl', 'other'), line('not-a-log'));
    expect(await ingest.ingest('dep', logs)).toEqual({ added: 4, skipped: 0 });
    expect(ids()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(await ingest.ingest('dep', logs)).toEqual({ added: 0, skipped: 0 });

    const r = db.prepare("SELECT * FROM requests WHERE request_id = 'r5'").get() as Record<string, unknown>;
    expect(r).toMatchObject({ version: 2, rows: 2, status: 200, latency_ms: 1.5, endpoint: 'invocations' });
    expect(JSON.parse(r.features as string)).toEqual({ a: [1, 2], b: [3, 4] });
    db.close();
  });

  it('counts lines that are not a request and goes on', async () => {
    const { db, logs, ids, file } = setup();
    fs.writeFileSync(
      file('requests.jsonl'),
      `${line('r1')}not json\n{"id":"x"}\n${line('r2', { features: null, outputs: null, status: 400, error: 'bad' })}`,
    );
    expect(await new RequestLogIngest(db).ingest('dep', logs)).toEqual({ added: 2, skipped: 2 });
    expect(ids()).toEqual(['r1', 'r2']);
    const refused = db.prepare("SELECT rows, error FROM requests WHERE request_id = 'r2'").get();
    expect(refused).toEqual({ rows: 0, error: 'bad' });
    db.close();
  });

  it('reads a new file that took a freed inode from its start', async () => {
    const { db, logs, ids, file } = setup();
    const ingest = new RequestLogIngest(db);
    fs.writeFileSync(file('requests.jsonl'), line('old-1') + line('old-2'));
    await ingest.ingest('dep', logs);
    // Same path and (very likely) inode, other content: truncated and rewritten in place.
    const fd = fs.openSync(file('requests.jsonl'), 'r+');
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, line('new-1-longer-id-so-the-head-differs') + line('new-2') + line('new-3'));
    fs.closeSync(fd);
    await ingest.ingest('dep', logs);
    expect(ids()).toEqual(['old-1', 'old-2', 'new-1-longer-id-so-the-head-differs', 'new-2', 'new-3']);
    db.close();
  });

  it('does not take lines twice when two readers race (the app and a CLI)', async () => {
    const { db, logs, ids, file } = setup();
    const lines = Array.from({ length: 500 }, (_, i) => line(`r${i}`)).join('');
    fs.writeFileSync(file('requests.jsonl'), lines);
    const [a, b] = await Promise.all([
      new RequestLogIngest(db).ingest('dep', logs),
      new RequestLogIngest(db).ingest('dep', logs),
    ]);
    expect(a.added + b.added).toBe(500);
    expect(new Set(ids()).size).toBe(500);
    expect(ids().length).toBe(500);
    db.close();
  });

  it('keeps deployments apart and finds nothing where there is no log yet', async () => {
    const { db, logs, file } = setup();
    const ingest = new RequestLogIngest(db);
    expect(await ingest.ingest('dep', path.join(logs, 'nothing-here'))).toEqual({ added: 0, skipped: 0 });
    fs.writeFileSync(file('requests.jsonl'), line('r1'));
    await ingest.ingest('one', logs);
    await ingest.ingest('two', logs);
    const n = db.prepare('SELECT deployment_id, count(*) AS n FROM requests GROUP BY deployment_id').all();
    expect(n).toEqual([
      { deployment_id: 'one', n: 1 },
      { deployment_id: 'two', n: 1 },
    ]);
    db.close();
  });

  it('reads a log of several steps, whole characters and lines longer than a step', async () => {
    const { db, logs, file } = setup();
    // About 1.6 MB of lines with multi-byte text, so steps end at arbitrary bytes; then one line
    // of more than a step.
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) lines.push(line(`r${i}`, { error: `ünïcødé ✓ ${'é'.repeat(i % 97)}` }));
    lines.push(line('long', { error: 'x'.repeat(1_500_000) }));
    lines.push(line('after'));
    fs.writeFileSync(file('requests.jsonl'), lines.join(''));
    expect(await new RequestLogIngest(db).ingest('dep', logs)).toEqual({ added: 4002, skipped: 0 });
    const errors = db.prepare('SELECT request_id, error FROM requests ORDER BY seq').all() as {
      request_id: string;
      error: string;
    }[];
    expect(errors.length).toBe(4002);
    errors.slice(0, 4000).forEach((r, i) => {
      expect(r.request_id).toBe(`r${i}`);
      expect(r.error).toBe(`ünïcødé ✓ ${'é'.repeat(i % 97)}`);
    });
    expect(errors[4000]!.error.length).toBe(1_500_000);
    expect(errors[4001]!.request_id).toBe('after');
    db.close();
  });
});
