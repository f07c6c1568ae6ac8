import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { FLUSH_EVERY, Flusher } from './durability.ts';
import { ObjectStore } from './objectStore.ts';
import { type StoreItem, StoreWorkers } from './storeWorkers.ts';

const dirs = tempDirs();
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function items(root: string, files: Record<string, string | Buffer>): StoreItem[] {
  return Object.entries(files).map(([name, content]) => {
    const absPath = path.join(root, name);
    fs.writeFileSync(absPath, content);
    const st = fs.statSync(absPath, { bigint: true });
    return { absPath, size: Number(st.size), mtimeNs: st.mtimeNs };
  });
}

/**
 * A `sync` first on PATH that records its arguments and exits with `code`, standing in for
 * coreutils' so a test can see when the store asks for its filesystem to be synced.
 */
function fakeSync(code: number): { calls: () => string[][]; parents: () => string[]; restore: () => void } {
  const bin = dirs.make();
  const log = path.join(bin, 'calls.log');
  const ppids = path.join(bin, 'ppids.log');
  fs.writeFileSync(
    path.join(bin, 'sync'),
    `#!/bin/sh\necho "$@" >> '${log}'\necho "$PPID" >> '${ppids}'\nexit ${code}\n`,
    { mode: 0o755 },
  );
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${saved}`;
  return {
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
        : [],
    parents: () => (fs.existsSync(ppids) ? fs.readFileSync(ppids, 'utf8').trim().split('\n') : []),
    restore: () => {
      process.env.PATH = saved;
    },
  };
}

let home: string;
let workers: StoreWorkers;
beforeEach(async () => {
  home = dirs.make();
  await new ObjectStore(home).init();
  workers = new StoreWorkers(home, { size: 2 });
});
afterEach(async () => {
  await workers.close();
});

// syncfs through `sync -f` is the Linux path; elsewhere every new blob is fsync'ed instead.
describe.runIf(process.platform === 'linux')('StoreWorkers durability', () => {
  it('syncs the store filesystem before resolving when it wrote or found unvouched blobs, not otherwise', async () => {
    const sync = fakeSync(0);
    try {
      const src = dirs.make();
      const files = items(src, { a: 'alpha', b: 'beta', big: Buffer.alloc(3 * 1024 * 1024, 9) });
      const digests = await workers.store(files);
      expect(digests).toEqual([sha('alpha'), sha('beta'), sha(Buffer.alloc(3 * 1024 * 1024, 9))]);
      const objects = new ObjectStore(home);
      expect(sync.calls()).toEqual([['-f', objects.root]]);

      // The same content again, its blob vouched for by committed records: nothing to wait for.
      const vouching = new StoreWorkers(home, { size: 1, vouched: (found) => new Set(found) });
      try {
        await vouching.store(items(dirs.make(), { again: 'alpha' }));
      } finally {
        await vouching.close();
      }
      expect(sync.calls()).toHaveLength(1);
      // Not vouched for, it may be another store's, written and not yet synced: it is synced.
      await workers.store(items(dirs.make(), { again: 'alpha' }));
      expect(sync.calls()).toHaveLength(2);
    } finally {
      sync.restore();
    }
  });

  it('falls back to syncing each new blob when `sync -f` fails', async () => {
    const sync = fakeSync(1);
    try {
      const files = items(dirs.make(), { x: 'x content', y: 'y content' });
      const digests = await workers.store(files);
      expect(sync.calls()).toHaveLength(1);
      const objects = new ObjectStore(home);
      expect(digests.map((d) => fs.readFileSync(objects.pathFor(d), 'utf8'))).toEqual([
        'x content',
        'y content',
      ]);
    } finally {
      sync.restore();
    }
  });

  it('flushes in the background after every FLUSH_EVERY bytes stored, and once more at the end', async () => {
    const sync = fakeSync(0);
    try {
      const root = new ObjectStore(home).root;
      const flusher = new Flusher(root);
      flusher.stored(FLUSH_EVERY - 1024 * 1024);
      expect(sync.calls()).toEqual([]);
      flusher.stored(2 * 1024 * 1024);
      await flusher.finish([path.join(root, 'ab', 'cd')]);
      expect(sync.calls()).toEqual([
        ['-f', root],
        ['-f', root],
      ]);
    } finally {
      sync.restore();
    }
  });

  it('flushes through one shell, not a process started from this one per flush', async () => {
    const sync = fakeSync(0);
    try {
      const root = new ObjectStore(home).root;
      const flusher = new Flusher(root);
      for (let i = 0; i < 3; i++) {
        flusher.stored(FLUSH_EVERY);
        // The next one starts only once this one is done (one at a time).
        await new Promise((r) => setTimeout(r, 300));
      }
      await flusher.finish([path.join(root, 'ab', 'cd')]);
      expect(sync.calls()).toHaveLength(4);
      // Every `sync` had the same parent: the shell, itself a child of this process.
      const parents = sync.parents();
      expect(parents).toHaveLength(4);
      expect(new Set(parents).size).toBe(1);
      expect(parents[0]).not.toBe(String(process.pid));
    } finally {
      sync.restore();
    }
  });

  it('syncs each blob by itself once a background flush failed', async () => {
    const sync = fakeSync(1);
    try {
      const root = new ObjectStore(home).root;
      const file = path.join(dirs.make(), 'blob');
      fs.writeFileSync(file, 'x');
      const flusher = new Flusher(root);
      flusher.stored(FLUSH_EVERY);
      await new Promise((r) => setTimeout(r, 300));
      // A write error a failed flush met may not be reported to the next one: no second `sync -f`,
      // each file is fsync'ed (which reports it), and no more background flushes are asked.
      flusher.stored(FLUSH_EVERY);
      await flusher.finish([file]);
      expect(sync.calls()).toHaveLength(1);
    } finally {
      sync.restore();
    }
  });

  it('lets the process exit when a store ends without finishing its flusher', () => {
    const script = path.join(dirs.make(), 'flush.mts');
    fs.writeFileSync(
      script,
      `import { Flusher, FLUSH_EVERY } from ${JSON.stringify(path.resolve('electron/core/objects/durability.ts'))};
const flusher = new Flusher(${JSON.stringify(home)});
flusher.stored(FLUSH_EVERY);
console.log('asked', Date.now());
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    const exited = Date.now();
    expect(r.status, r.stderr).toBe(0);
    const askedAt = Number(/asked (\d+)/.exec(r.stdout)![1]);
    // The flush asked is waited for (the shell holds the loop open until it answers), then nothing.
    expect(exited - askedAt).toBeLessThan(5000);
  });
});

describe('StoreWorkers.stream', () => {
  it('stores files while more are still being added, and gives every digest in the order added', async () => {
    const src = dirs.make();
    const seen: number[] = [];
    const stream = workers.stream({ onFiles: (n) => seen.push(n) });
    stream.add(items(src, { a: 'first', b: 'second' }));
    // The first files are stored before the next are added: storing does not wait for the end.
    await expect.poll(() => seen.reduce((a, b) => a + b, 0)).toBe(2);
    const big = Buffer.alloc(40 * 1024 * 1024, 7);
    stream.add(items(src, { c: 'third', big }));
    stream.add([]);
    const digests = await stream.end();
    expect(digests).toEqual([sha('first'), sha('second'), sha('third'), sha(big)]);
    // Asked again, the same answer: nothing is stored or synced twice.
    expect(await stream.end()).toBe(digests);
    const objects = new ObjectStore(home);
    expect(fs.readFileSync(objects.pathFor(sha('third')), 'utf8')).toBe('third');
    expect(fs.statSync(objects.pathFor(sha(big))).size).toBe(big.length);
  });

  it('stops at its first failure: a later add throws it and end rejects with it', async () => {
    const src = dirs.make();
    const stream = workers.stream();
    const [gone] = items(src, { gone: 'will be removed' });
    fs.rmSync(gone!.absPath);
    stream.add([gone!]);
    const more = items(src, { more: 'more' });
    await expect
      .poll(() => {
        try {
          stream.add(more);
          return 'accepted';
        } catch (err) {
          return (err as Error).message;
        }
      })
      .toMatch(/gone/);
    await expect(stream.end()).rejects.toThrow(/gone/);
  });

  it('lets the process exit at once after a cancelled store (mlwb dataset add and Ctrl-C)', () => {
    const src = dirs.make();
    const [file] = items(src, { f: 'content' });
    const script = path.join(dirs.make(), 'cancel.mts');
    fs.writeFileSync(
      script,
      `import { StoreWorkers } from ${JSON.stringify(path.resolve('electron/core/objects/storeWorkers.ts'))};
const workers = new StoreWorkers(${JSON.stringify(home)}, { size: 1 });
const abort = new AbortController();
const stream = workers.stream({ signal: abort.signal });
stream.add([{ absPath: ${JSON.stringify(file!.absPath)}, size: ${file!.size}, mtimeNs: ${file!.mtimeNs}n }]);
abort.abort();
await stream.end().catch((err) => console.log(err.code));
await workers.close();
console.log('closed', Date.now());
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    const exited = Date.now();
    expect(r.stdout, r.stderr).toMatch(/^CANCELLED\nclosed \d+/);
    const closedAt = Number(/closed (\d+)/.exec(r.stdout)![1]);
    // Nothing (such as a timer of the drain wait) holds the process open once it is done.
    expect(exited - closedAt).toBeLessThan(2500);
  });

  it('gives the digests once stored, before the flush that makes them durable, and the same at the end', async () => {
    const sync = fakeSync(0);
    try {
      const stream = workers.stream();
      stream.add(items(dirs.make(), { a: 'first', b: 'second' }));
      expect(await stream.stored()).toEqual([sha('first'), sha('second')]);
      expect(sync.calls()).toEqual([]);
      expect(await stream.end()).toEqual([sha('first'), sha('second')]);
      expect(sync.calls()).toHaveLength(1);
    } finally {
      sync.restore();
    }
  });

  it('rejects when cancelled, and a store after it works as before', async () => {
    const src = dirs.make();
    const abort = new AbortController();
    const stream = workers.stream({ signal: abort.signal });
    stream.add(items(src, { x: 'x' }));
    abort.abort();
    await expect(stream.end()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await workers.store(items(src, { y: 'y' }))).toEqual([sha('y')]);
  });
});

describe('StoreWorkers with several stores at once', () => {
  it('serves a store that found every worker busy with one of the next workers to free up', async () => {
    const src = dirs.make();
    const many: Record<string, string> = {};
    for (let i = 0; i < 20 * 64; i++) many[`f${i}`] = `file ${i}`;
    let firstStored = 0;
    let firstStoredWhenSecondWas = -1;
    const first = workers.stream({ onFiles: (n) => (firstStored += n) });
    // Twenty batches: both workers take two each, sixteen wait in this store's queue.
    first.add(items(src, many));
    const second = workers.stream({ onFiles: () => (firstStoredWhenSecondWas = firstStored) });
    second.add(items(src, { late: 'added while every worker was busy' }));
    const [a, b] = await Promise.all([first.end(), second.end()]);
    expect(a).toHaveLength(20 * 64);
    expect(b).toEqual([sha('added while every worker was busy')]);
    // Served in turn, not once the first store had nothing left to send (19 of its 20 batches
    // before the fix). Up to four of its batches were in flight, and its batch still queued on the
    // worker that frees up goes first: on a loaded machine the other worker finishes more meanwhile.
    expect(firstStoredWhenSecondWas).toBeGreaterThanOrEqual(0);
    expect(firstStoredWhenSecondWas).toBeLessThan(8 * 64);
  });

  it('fails the stores still running when the pool is closed, and starts no worker for them', async () => {
    const src = dirs.make();
    const running = workers.store(items(src, { big: Buffer.alloc(48 * 1024 * 1024, 5) }));
    // A store still being fed, with nothing in flight when the pool closes.
    const listing = workers.stream();
    const outcome = expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    await workers.close();
    await outcome;
    expect(() => listing.add(items(src, { later: 'later' }))).toThrow(/closing/);
    await expect(listing.end()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((workers as unknown as { slots: unknown[] }).slots).toEqual([]);
  });

  it('fails a store started while it closes, waits for the same close when asked twice, and works after', async () => {
    const src = dirs.make();
    const running = workers.store(items(src, { big: Buffer.alloc(48 * 1024 * 1024, 6) }));
    const outcome = expect(running).rejects.toMatchObject({ code: 'CANCELLED' });
    const closing = workers.close();
    const during = workers.store(items(src, { during: 'during' }));
    expect(workers.close()).toBe(closing);
    await expect(during).rejects.toMatchObject({ code: 'CANCELLED' });
    await closing;
    await outcome;
    expect(await workers.store(items(src, { after: 'after close' }))).toEqual([sha('after close')]);
  });

  it('fails only the store whose worker died, and stores with a new worker after it', async () => {
    const src = dirs.make();
    const big = Buffer.alloc(48 * 1024 * 1024, 3);
    const doomed = workers.store(items(src, { big }));
    // The worker holding the big file dies (as from running out of memory).
    const slots = (
      workers as unknown as { slots: { worker: import('node:worker_threads').Worker; busy: number }[] }
    ).slots;
    const holder = slots.find((s) => s.busy > 0)!;
    await holder.worker.terminate();
    await expect(doomed).rejects.toThrow(/store worker stopped/);
    expect(await workers.store(items(src, { after: 'after' }))).toEqual([sha('after')]);
  });
});

/** Whether the test folders' filesystem keeps birth times (else every found blob is of unknown age). */
function keepsBirthTimes(): boolean {
  const file = path.join(dirs.make(), 'probe');
  fs.writeFileSync(file, 'probe');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  fs.chmodSync(file, 0o444);
  const st = fs.statSync(file);
  return st.birthtimeMs > 0 && st.birthtimeMs !== st.ctimeMs;
}

describe('StoreWorkers: blobs found already in place', () => {
  /** What a power cut can leave at a blob's name: the rename on disk, the data not (zeros). */
  const plantZeros = (digest: string, size: number) => {
    const file = new ObjectStore(home).pathFor(digest);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(size), { mode: 0o444 });
    return file;
  };
  /** A pool that takes every blob as made before the machine last started. */
  const afterARestart = (vouched?: (digests: string[]) => Set<string>) =>
    new StoreWorkers(home, { size: 2, vouched, startedAt: Date.now() + 3_600_000 });
  const isZeros = (file: string) => fs.readFileSync(file).every((b) => b === 0);

  it('hashes again a found blob made before the machine started that nothing vouches for, and replaces it when it does not match', async () => {
    const small = 'small content, whole';
    const large = Buffer.alloc(3 * 1024 * 1024, 9);
    const files = {
      small: plantZeros(sha(small), Buffer.byteLength(small)),
      large: plantZeros(sha(large), large.length),
    };
    const pool = afterARestart();
    try {
      const digests = await pool.store(items(dirs.make(), { a: small, b: large, c: small }));
      expect(digests).toEqual([sha(small), sha(large), sha(small)]);
    } finally {
      await pool.close();
    }
    expect(fs.readFileSync(files.small, 'utf8')).toBe(small);
    expect(fs.readFileSync(files.large).equals(large)).toBe(true);
  });

  it('trusts, without reading it, a found blob that committed records name', async () => {
    const content = 'named by a committed version';
    const file = plantZeros(sha(content), Buffer.byteLength(content));
    const asked: string[][] = [];
    const pool = afterARestart((digests) => {
      asked.push(digests);
      return new Set(digests);
    });
    try {
      expect(await pool.store(items(dirs.make(), { a: content }))).toEqual([sha(content)]);
    } finally {
      await pool.close();
    }
    expect(asked).toEqual([[sha(content)]]);
    // Left as it was: a blob committed records name was made durable before that commit.
    expect(isZeros(file)).toBe(true);
  });

  it.skipIf(!keepsBirthTimes())(
    'trusts a found blob made since the machine started (what the page cache holds was written)',
    async () => {
      const content = 'written since the start';
      const file = plantZeros(sha(content), Buffer.byteLength(content));
      expect(await workers.store(items(dirs.make(), { a: content }))).toEqual([sha(content)]);
      expect(isZeros(file)).toBe(true);
    },
  );
});
