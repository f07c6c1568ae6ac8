import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeTree } from '../testing/fileTree.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { testWorkbench } from '../testing/testWorkbench.ts';
import { type SourceSet, SourceWatch, VERIFY_MS } from './sourceWatch.ts';

const dirs = tempDirs();
const app = testWorkbench({ each: true });
let src: string;
let watch: SourceWatch;
let set: SourceSet;

const tree = {
  'a.csv': 'x,y\n1,2\n',
  'b/c.txt': 'hello',
  'b/deeper/d.txt': 'deep',
  'e.bin': Buffer.alloc(1000, 3),
};

/** Debian's Python, for a write through a memory mapping (Node has no mmap). */
const PYTHON = '/usr/bin/python3';

/** Whether this process may mount a file system (root with CAP_SYS_ADMIN), for the mount test. */
function canMount(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'mlwb-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Waits for inotify's report of a change (delivered on a later turn of the event loop). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

beforeEach(async () => {
  src = dirs.make();
  writeTree(src, tree);
  await app.api.call('datasets.add', { name: 'd', paths: [src] });
  watch = new SourceWatch(app.wb.datasets.repo);
  set = { dataset: 'd', paths: [src] };
});

afterEach(() => watch.close());

describe('the source watch', () => {
  it('answers an unchanged re-add with what the add itself answers', async () => {
    expect((await watch.watch(set)).state).toBe('clean');
    const added = await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect(added.created).toBe(false);
    expect(watch.answer(set)).toEqual(added);
    // Still clean: asking changes nothing.
    expect(watch.answer(set)).toEqual(added);
    expect(watch.status()).toEqual([{ dataset: 'd', paths: [src], state: 'clean' }]);
  });

  it('lets an add wait for a check under way', async () => {
    const check = watch.watch(set);
    expect(watch.status()[0]!.state).toBe('checking');
    expect(watch.answer(set)).toBeUndefined(); // not vouched for yet
    await watch.checked(set, 10_000);
    expect(watch.answer(set)).toMatchObject({ version: 1, created: false });
    expect(await check).toMatchObject({ state: 'clean' });
    expect(await watch.watch(set)).toMatchObject({ state: 'clean' }); // the same set: no second check
  });

  it.each([
    [
      'a write that keeps the size and the modification time',
      () => rewriteKeepingStat('a.csv', 'x,y\n9,9\n'),
    ],
    ['an append', () => fs.appendFileSync(path.join(src, 'b/deeper/d.txt'), '!')],
    ['a new file in a subfolder', () => fs.writeFileSync(path.join(src, 'b/new.txt'), 'n')],
    ['a new, empty folder', () => fs.mkdirSync(path.join(src, 'b/deeper/empty'))],
    ['a deletion', () => fs.rmSync(path.join(src, 'b/c.txt'))],
    ['a rename', () => fs.renameSync(path.join(src, 'e.bin'), path.join(src, 'f.bin'))],
    ['a chmod', () => flipMode(path.join(src, 'e.bin'))],
    ['a touch', () => fs.utimesSync(path.join(src, 'a.csv'), new Date(), new Date(2001, 1, 1))],
  ])('stops vouching after %s', async (_what, change) => {
    expect((await watch.watch(set)).state).toBe('clean');
    change();
    await settle();
    expect(watch.answer(set)).toBeUndefined();
    expect(watch.status()[0]).toMatchObject({ state: 'dirty', why: expect.stringMatching(/^a change in /) });
    expect(watch.active).toBe(false);
  });

  it('checks every other set again after a change in one (a flood could have overflowed the shared queue)', async () => {
    const rechecks: SourceSet[] = [];
    watch = new SourceWatch(app.wb.datasets.repo, (s) => rechecks.push(s));
    const other = dirs.make();
    writeTree(other, { 'o.txt': 'o' });
    await app.api.call('datasets.add', { name: 'o', paths: [other] });
    const otherSet = { dataset: 'o', paths: [other] };
    expect((await watch.watch(set)).state).toBe('clean');
    expect((await watch.watch(otherSet)).state).toBe('clean');
    fs.appendFileSync(path.join(src, 'a.csv'), '3,4\n');
    await settle();
    expect(watch.answer(set)).toBeUndefined();
    // The other set is not trusted until checked again; unchanged, it is vouched for again.
    expect(rechecks).toEqual([otherSet]);
    expect(watch.answer(otherSet)).toBeUndefined();
    expect(watch.status()[1]!.why).toMatch(
      /^checked again after another set's watches closed \(a change in /,
    );
    expect((await watch.watch(otherSet)).state).toBe('clean');
    expect(watch.answer(otherSet)).toMatchObject({ dataset: 'o', created: false });
  });

  it('closes every watch of a set dropped while it was still putting them in place', async () => {
    const big = dirs.make();
    for (let i = 0; i < 2100; i++) fs.writeFileSync(path.join(big, `f${i}`), `${i}`);
    await app.api.call('datasets.add', { name: 'big', paths: [big] });
    const file = path.join(src, 'a.csv');
    await app.api.call('datasets.add', { name: 'one', paths: [file] });
    const rechecks: SourceSet[] = [];
    watch = new SourceWatch(app.wb.datasets.repo, (s) => rechecks.push(s));
    expect((await watch.watch({ dataset: 'one', paths: [file] })).state).toBe('clean');
    // The big set's check pauses after 2,000 watches; meanwhile the small set is dropped, which
    // distrusts the big one: its check must put no further watch in place.
    const checking = watch.watch({ dataset: 'big', paths: [big] });
    flipMode(file);
    expect(watch.answer({ dataset: 'one', paths: [file] })).toBeUndefined();
    expect(await checking).toMatchObject({ state: 'dirty' });
    expect(rechecks.map((s) => s.dataset)).toEqual(['big']);
    expect(watch.watching).toBe(0);
  });

  it('sees a folder renamed away and an identical copy put in its place', async () => {
    expect((await watch.watch(set)).state).toBe('clean');
    const away = `${src}-away`;
    fs.renameSync(src, away);
    fs.cpSync(away, src, { recursive: true, preserveTimestamps: true });
    // The watches follow the folder that moved away; only the inputs' identity tells.
    expect(watch.answer(set)).toBeUndefined();
    expect(watch.status()[0]!.why).toMatch(/changed|a change in/);
    fs.rmSync(away, { recursive: true });
  });

  it('sees a write through a hard link outside the folder, made before or after the check', async () => {
    const outside = dirs.make();
    fs.linkSync(path.join(src, 'e.bin'), path.join(outside, 'before.bin'));
    await app.api.call('datasets.add', { name: 'd', paths: [src] }); // the link changed its ctime only
    expect((await watch.watch(set)).state).toBe('clean');
    expect(watch.answer(set)).toBeDefined();
    fs.appendFileSync(path.join(outside, 'before.bin'), 'more');
    await settle();
    expect(watch.answer(set)).toBeUndefined();
    expect(watch.status()[0]!.why).toBe(`a change in ${path.join(src, 'e.bin')}`);

    await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect((await watch.watch(set)).state).toBe('clean');
    fs.linkSync(path.join(src, 'a.csv'), path.join(outside, 'after.csv')); // its link count: an event
    await settle();
    expect(watch.answer(set)).toBeUndefined();
  });

  it('refuses a folder with a symbolic link in it (what it leads to is not watched)', async () => {
    fs.symlinkSync('a.csv', path.join(src, 'b', 'link.csv'));
    await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect(await watch.watch(set)).toMatchObject({
      state: 'dirty',
      why: `${path.join(src, 'b', 'link.csv')} is a symbolic link`,
    });
  });

  it('no longer trusts a set after another set was dropped with its watches (their queued events are lost)', async () => {
    const rechecks: SourceSet[] = [];
    watch = new SourceWatch(app.wb.datasets.repo, (s) => rechecks.push(s));
    expect((await watch.watch(set)).state).toBe('clean');
    const stale = dirs.make();
    writeTree(stale, { 's.txt': 's' }); // never added: its check drops it once watched
    expect(await watch.watch({ dataset: 'd', paths: [stale] })).toMatchObject({ state: 'dirty' });
    expect(rechecks).toEqual([set]);
    expect(watch.answer(set)).toBeUndefined();
  });

  it.runIf(fs.existsSync(PYTHON))(
    'finds a write through a memory mapping (no inotify event) by its periodic walk',
    async () => {
      expect((await watch.watch(set)).state).toBe('clean');
      const file = path.join(src, 'e.bin');
      const before = fs.statSync(file).mtimeMs;
      // Python's mmap: the write reaches the file through the page cache, with no write(2).
      execFileSync(PYTHON, [
        '-c',
        'import mmap,sys,time\nf=open(sys.argv[1],"r+b")\ntime.sleep(0.02)\nm=mmap.mmap(f.fileno(),0)\nm[0:1]=b"Z"\nm.flush()\nm.close()\nf.close()',
        file,
      ]);
      await settle();
      expect(fs.statSync(file).mtimeMs).toBeGreaterThan(before);
      expect(watch.answer(set)).toBeDefined(); // inotify said nothing
      await watch.verify(Date.now() + VERIFY_MS);
      expect(watch.answer(set)).toBeUndefined();
      expect(watch.status()[0]!.why).toBe('a change no watch reported (found by the periodic walk)');
    },
  );

  it.runIf(canMount())('refuses a folder with a mount in it, and sees one mounted later', async () => {
    const mnt = path.join(src, 'b', 'mnt');
    fs.mkdirSync(mnt);
    await app.api.call('datasets.add', { name: 'd', paths: [src] });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mnt]);
    try {
      expect(await watch.watch(set)).toMatchObject({
        state: 'dirty',
        why: 'a file system is mounted under it',
      });
    } finally {
      execFileSync('umount', [mnt]);
    }
    expect((await watch.watch(set)).state).toBe('clean');
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mnt]);
    try {
      expect(watch.answer(set)).toBeUndefined();
      expect(watch.status()[0]!.why).toBe('a file system was mounted or unmounted under it');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('checks a file given as an input by its stat', async () => {
    const file = path.join(src, 'a.csv');
    const fileSet = { dataset: 'one', paths: [file] };
    await app.api.call('datasets.add', { name: 'one', paths: [file] });
    expect((await watch.watch(fileSet)).state).toBe('clean');
    expect(watch.answer(fileSet)).toMatchObject({ dataset: 'one', version: 1, created: false });
    expect(watch.answer(fileSet, [0])).toBeUndefined(); // typed `a.csv/`: the CLI's stat fails
    flipMode(file);
    expect(watch.answer(fileSet)).toBeUndefined(); // by its stat, before any event arrives
    expect(watch.status()[0]!.why).toBe(`${file} changed`);
  });

  it('stops vouching when the dataset gets a newer version from elsewhere', async () => {
    expect((await watch.watch(set)).state).toBe('clean');
    const other = dirs.make();
    writeTree(other, { 'z.txt': 'z' });
    await app.api.call('datasets.add', { name: 'd', paths: [other] });
    expect(watch.answer(set)).toBeUndefined();
    expect(watch.status()[0]!.why).toBe('d has a newer version');
  });

  it('refuses a set that did not make the latest version, and one it was not asked to watch', async () => {
    fs.appendFileSync(path.join(src, 'a.csv'), '3,4\n');
    const s = await watch.watch(set);
    expect(s).toMatchObject({ state: 'dirty', why: 'these files did not make the latest version of d' });
    expect(watch.answer({ dataset: 'd', paths: [dirs.make()] })).toBeUndefined();
    expect(watch.answer({ dataset: 'other', paths: [src] })).toBeUndefined();
  });

  it('watches a set again after it went dirty and a new version was added', async () => {
    expect((await watch.watch(set)).state).toBe('clean');
    fs.appendFileSync(path.join(src, 'a.csv'), '3,4\n');
    await settle();
    expect(watch.answer(set)).toBeUndefined();
    const v2 = await app.api.call('datasets.add', { name: 'd', paths: [src] });
    expect((await watch.watch(set)).state).toBe('clean');
    expect(watch.answer(set)).toMatchObject({ version: v2.version, digest: v2.digest, created: false });
  });

  function flipMode(file: string) {
    fs.chmodSync(file, fs.statSync(file).mode ^ 0o100);
  }

  function rewriteKeepingStat(rel: string, content: string) {
    const file = path.join(src, rel);
    const st = fs.statSync(file);
    expect(Buffer.byteLength(content)).toBe(st.size);
    fs.writeFileSync(file, content);
    fs.utimesSync(file, st.atime, st.mtime);
  }
});
