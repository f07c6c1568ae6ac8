import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { writeTree } from '../testing/fileTree.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';

const dirs = tempDirs();
const app = testWorkbench({ each: true });
let src: string;

beforeEach(() => {
  src = dirs.make();
});

describe('adding versions', () => {
  it('numbers versions, deduplicates content, and skips identical re-adds', async () => {
    writeTree(src, { 'a.csv': 'x,y\n1,2\n', 'b/c.txt': 'hello', 'b/d.txt': 'hello' });
    const v1 = await app.api.call('datasets.add', { name: 'iris', paths: [src], message: 'first' });
    expect(v1).toMatchObject({ dataset: 'iris', version: 1, created: true, files: 3 });
    expect(v1.newBytes).toBe(v1.bytes - 5); // the duplicate "hello" is stored once

    const again = await app.api.call('datasets.add', { name: 'iris', paths: [src] });
    expect(again).toMatchObject({ version: 1, created: false, newBytes: 0, digest: v1.digest });

    fs.appendFileSync(path.join(src, 'a.csv'), '3,4\n');
    const v2 = await app.api.call('datasets.add', { name: 'iris', paths: [src], message: 'more rows' });
    expect(v2).toMatchObject({ version: 2, created: true, newBytes: 12 });

    // The same content in another dataset is not stored again.
    const other = await app.api.call('datasets.add', { name: 'copy', paths: [src] });
    expect(other.newBytes).toBe(0);

    const versions = await app.api.call('datasets.versions', { name: 'iris' });
    expect(versions.map((v) => [v.version, v.message])).toEqual([
      [2, 'more rows'],
      [1, 'first'],
    ]);
    const shown = await app.api.call('datasets.show', { name: 'iris', version: 1 });
    expect(shown.entries.map((e) => e.path)).toEqual(['a.csv', 'b/c.txt', 'b/d.txt']);
    expect(shown.entries[1]!.sha256).toBe(shown.entries[2]!.sha256);
  });

  it('does not re-read unchanged files (stat cache), but does re-read touched ones', async () => {
    writeTree(src, { 'big.bin': Buffer.alloc(3 * 1024 * 1024, 7), 'small.txt': 'abc' });
    await app.api.call('datasets.add', { name: 'd', paths: [src] });
    // Make the file unreadable: a cache hit must not need to read it.
    fs.chmodSync(path.join(src, 'big.bin'), 0o000);
    const reread = process.getuid?.() === 0; // root can read anyway; then only check it succeeds
    const again = await app.api.call('datasets.add', {
      name: 'd',
      paths: [path.join(src, 'big.bin'), path.join(src, 'small.txt')],
    });
    expect(again.files).toBe(2);
    fs.chmodSync(path.join(src, 'big.bin'), 0o644);
    if (!reread) expect(again.created).toBe(true);
    const cached = app.wb.db.prepare('SELECT count(*) AS n FROM stat_cache').get() as { n: number };
    expect(cached.n).toBe(2);
  });

  it('answers an unchanged re-add from the files’ stats alone, and sees every change', async () => {
    writeTree(src, { 'a.csv': 'x,y\n1,2\n', 'b/c.txt': 'hello' });
    const v1 = await app.api.call('datasets.add', { name: 'd', paths: [src] });
    const statCache = () =>
      (app.wb.db.prepare('SELECT count(*) AS n FROM stat_cache').get() as { n: number }).n;
    // Without the per-file cache, only the version's record of its sources can answer without
    // reading the files (which would remember them in the cache again).
    app.wb.db.prepare('DELETE FROM stat_cache').run();
    const again = await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect(again).toEqual({ ...v1, created: false, newBytes: 0 });
    expect(statCache()).toBe(0);

    // A touch: the files are read again, the content is the same, and the next re-add is quick.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(src, 'a.csv'), later, later);
    expect(await app.api.call('datasets.add', { name: 'd', paths: [src] })).toMatchObject({
      version: 1,
      created: false,
    });
    expect(statCache()).toBe(2);
    app.wb.db.prepare('DELETE FROM stat_cache').run();
    await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect(statCache()).toBe(0);

    // A renamed file makes another listing, and so does one file given alone.
    fs.renameSync(path.join(src, 'b', 'c.txt'), path.join(src, 'b', 'e.txt'));
    const v2 = await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect(v2).toMatchObject({ version: 2, created: true });
    const viaLink = path.join(dirs.make(), 'link');
    fs.symlinkSync(src, viaLink);
    expect(await app.api.call('datasets.add', { name: 'd', paths: [path.join(src, 'a.csv')] })).toMatchObject(
      {
        version: 3,
        created: true,
      },
    );
    // The latest version is another listing now: the folder (here through a link to it) makes
    // version 4, with version 2's content.
    expect(await app.api.call('datasets.add', { name: 'd', paths: [viaLink] })).toMatchObject({
      version: 4,
      created: true,
      digest: v2.digest,
    });
  });

  it('puts one folder at the root and several inputs under their names', async () => {
    writeTree(src, { 'one/x.txt': '1', 'two/y.txt': '2', 'z.txt': '3' });
    await app.api.call('datasets.add', { name: 'single', paths: [path.join(src, 'one')] });
    expect((await app.api.call('datasets.show', { name: 'single' })).entries.map((e) => e.path)).toEqual([
      'x.txt',
    ]);
    await app.api.call('datasets.add', {
      name: 'multi',
      paths: [path.join(src, 'one'), path.join(src, 'two'), path.join(src, 'z.txt')],
    });
    expect((await app.api.call('datasets.show', { name: 'multi' })).entries.map((e) => e.path)).toEqual([
      'one/x.txt',
      'two/y.txt',
      'z.txt',
    ]);
  });

  it('rejects bad names, missing paths and empty folders with clear codes, creating nothing', async () => {
    writeTree(src, { 'a.txt': 'a' });
    fs.mkdirSync(path.join(src, 'empty'));
    await expectErrorCode(app.api.call('datasets.add', { name: 'a/b', paths: [src] }), 'INVALID_INPUT');
    await expectErrorCode(
      app.api.call('datasets.add', { name: 'bad\u0007name', paths: [src] }),
      'INVALID_INPUT',
    );
    await expectErrorCode(
      app.api.call('datasets.add', { name: 'x'.repeat(201), paths: [src] }),
      'INVALID_INPUT',
    );
    await expectErrorCode(
      app.api.call('datasets.add', { name: 'ok', paths: [path.join(src, 'nope')] }),
      'NOT_FOUND',
    );
    await expectErrorCode(
      app.api.call('datasets.add', { name: 'ok', paths: [path.join(src, 'empty')] }),
      'INVALID_INPUT',
      /empty/,
    );
    expect(await app.api.call('datasets.list', {})).toEqual([]);
  });

  it('follows symlinks inside the dropped folder only, and survives loops', async () => {
    writeTree(src, { 'data/a.txt': 'inside', 'secret.txt': 'outside' });
    const root = path.join(src, 'data');
    fs.symlinkSync('a.txt', path.join(root, 'alias.txt'));
    fs.symlinkSync(path.join(src, 'secret.txt'), path.join(root, 'escape.txt'));
    fs.mkdirSync(path.join(root, 'sub'));
    fs.symlinkSync('..', path.join(root, 'sub', 'loop'));
    fs.symlinkSync('self', path.join(root, 'self'));
    const r = await app.api.call('datasets.add', { name: 'links', paths: [root] });
    const shown = await app.api.call('datasets.show', { name: 'links' });
    expect(shown.entries.map((e) => e.path)).toEqual(['a.txt', 'alias.txt']);
    expect(r.warnings.join('\n')).toMatch(/outside the dropped folder/);
    expect(r.warnings.join('\n')).toMatch(/loops/);
  });

  it('can be cancelled, leaving no version', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`f${i}.txt`] = `content ${i}`.repeat(100);
    writeTree(src, files);
    const controller = new AbortController();
    const p = app.api.call(
      'datasets.add',
      { name: 'c', paths: [src] },
      {
        signal: controller.signal,
        onProgress: (pr) => {
          if (pr.phase === 'storing' && pr.done > 10_000) controller.abort();
        },
      },
    );
    await expectErrorCode(p, 'CANCELLED');
    expect(await app.api.call('datasets.list', {})).toEqual([]);
  });
});

describe('a first add that fails at its commit', () => {
  it('leaves no stat cache behind, so a retry stores as it lists again', async () => {
    writeTree(src, { 'a.csv': 'x,y\n1,2\n', 'b/c.txt': 'hello' });
    // The version's insert fails in SQLite itself, after the blobs and the stat cache are written.
    app.wb.db.exec(
      "CREATE TEMP TRIGGER refuse_version BEFORE INSERT ON dataset_versions BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    );
    await expect(app.api.call('datasets.add', { name: 'f', paths: [src] })).rejects.toThrow(
      /refused by the test/,
    );
    const rows = () => (app.wb.db.prepare('SELECT count(*) AS n FROM stat_cache').get() as { n: number }).n;
    expect(rows()).toBe(0);
    app.wb.db.exec('DROP TRIGGER temp.refuse_version');
    const v = await app.api.call('datasets.add', { name: 'f', paths: [src] });
    expect(v).toMatchObject({ version: 1, created: true, files: 2 });
    expect(rows()).toBe(2);
  });
});

describe('reading versions back', () => {
  it('exports by hardlink (read-only) or copy, byte for byte, refusing a non-empty folder', async () => {
    writeTree(src, { 'a.csv': 'x\n1\n', 'deep/b.bin': Buffer.from([0, 1, 2, 255]) });
    fs.chmodSync(path.join(src, 'deep/b.bin'), 0o755);
    await app.api.call('datasets.add', { name: 'e', paths: [src] });
    const out = path.join(dirs.make(), 'out');
    const r = await app.api.call('datasets.export', { name: 'e', version: 1, dir: out });
    expect(r.files).toBe(2);
    expect(r.method.reflink + r.method.hardlink + r.method.copy).toBe(2);
    expect(fs.readFileSync(path.join(out, 'deep/b.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(fs.readFileSync(path.join(out, 'a.csv'), 'utf8')).toBe('x\n1\n');
    await expectErrorCode(app.api.call('datasets.export', { name: 'e', dir: out }), 'CONFLICT');
  });

  it('never shares the stored file with an export unless hard links are asked for', async () => {
    writeTree(src, { 'a.csv': 'x\n1\n' });
    await app.api.call('datasets.add', { name: 'h', paths: [src] });
    const sha = (await app.api.call('datasets.show', { name: 'h' })).entries[0]!.sha256;
    const blob = app.wb.objects.pathFor(sha);
    // A user makes the exported file writable and edits it: the store must not change.
    const out = path.join(dirs.make(), 'out');
    const r = await app.api.call('datasets.export', { name: 'h', dir: out });
    expect(r.method.hardlink).toBe(0);
    const file = path.join(out, 'a.csv');
    expect(fs.statSync(file).ino).not.toBe(fs.statSync(blob).ino);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'edited');
    expect(fs.readFileSync(blob, 'utf8')).toBe('x\n1\n');
    expect(await app.api.call('store.verify', {})).toMatchObject({ corrupt: [], missing: [] });

    // Asked for, links are read-only views of the stored file (same filesystem here).
    const linked = path.join(dirs.make(), 'linked');
    const l = await app.api.call('datasets.export', { name: 'h', dir: linked, links: true });
    expect(l.method.hardlink).toBe(1);
    expect(fs.statSync(path.join(linked, 'a.csv')).ino).toBe(fs.statSync(blob).ino);
    expect(fs.statSync(path.join(linked, 'a.csv')).mode & 0o222).toBe(0);
  });

  it('names unknown datasets and versions with NOT_FOUND', async () => {
    await expectErrorCode(app.api.call('datasets.versions', { name: 'nope' }), 'NOT_FOUND');
    writeTree(src, { 'a.txt': 'a' });
    await app.api.call('datasets.add', { name: 'n', paths: [src] });
    await expectErrorCode(app.api.call('datasets.show', { name: 'n', version: 9 }), 'NOT_FOUND');
  });
});
