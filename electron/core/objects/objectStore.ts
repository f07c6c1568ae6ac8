/**
 * The content-addressed object store: `<home>/objects/sha256/ab/cd…` — the first two hex digits
 * name the folder and the other 62 the file (as git does): 256 folders at most, so adding many
 * files creates few directories.
 *
 * A large blob is staged in `<home>/tmp/` while it is written and renamed into place only when it
 * is complete. A small one is written straight to its name, created exclusively, on the local
 * Linux filesystems (writesInPlace): it can be seen there incomplete, and its size says so
 * (createSmallSync). Elsewhere, or where a file of another size is at its name, a small blob is
 * staged in its own folder under a dot name and renamed over it. A crash leaves at most a staging
 * file, or a blob nothing references, which `gc` removes. Nothing here says the data is on disk:
 * callers make new blobs durable (durability.ts) before they commit records naming them. Blob
 * files are read-only.
 *
 * Small files (under 1 MiB) are read once, hashed and written from memory. Adding many is bound
 * by system calls, not bytes (measured here: ~120 µs of kernel time to create one file), so that
 * path makes as few as it can: open, one read (asking one byte more than listed shows growth),
 * fstat, close; one existence check; create, write, close. Large files are copied by the kernel (a
 * clone where the filesystem can reflink) and the copy is hashed (see putLargeSync).
 *
 * Storing is synchronous on purpose: it runs on the store workers (storeWorkers.ts), where
 * blocking calls are cheaper than thread-pool round trips and never hold up the app's event loop.
 */
import { createHash, hash as hashOnce, randomBytes } from 'node:crypto';
import fsSync, { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cancelled, ioError } from '../errors.ts';

/** statfs magic numbers of the filesystems small blobs are written in place on (writesInPlace). */
const IN_PLACE_FILESYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // XFS
  0x9123683e, // Btrfs
  0x01021994, // tmpfs
  0xf2f52010, // F2FS
  0x2fc12fc1, // ZFS
  0x794c7630, // overlayfs (a container's own folders)
]);

/** Staging files in blob folders start with this; a blob's name is hex digits. */
const STAGED_PREFIX = '.';

// Read and hash in 1 MiB chunks into one reused buffer: it stays in the CPU cache between the read
// and the hash (4 MiB chunks measured 3.5× slower here).
const CHUNK = 1024 * 1024;

export interface StoredBlob {
  sha256: string;
  size: number;
  /** True when this call put the blob in the store; false when the content was already there. */
  written: boolean;
  /**
   * Found in place (not written) and made before this machine last started, or of unknown age: it
   * may be what a power cut left at its name (StoreWorkers.checkFound).
   */
  stale?: boolean;
}

export type StoreFile =
  | { kind: 'blob'; sha256: string; file: string; size: number; mtimeMs: number }
  | { kind: 'staged'; file: string; pid: number };

export interface SourceStat {
  size: number;
  mtimeNs: bigint;
}

export interface PutOptions {
  onBytes?: (n: number) => void;
  isCancelled?: () => boolean;
  /** Writes the blob even when one is at its name, and renames it over that one. */
  replace?: boolean;
}

/**
 * When this machine started, a minute late: a blob made since then is what was written (the page
 * cache never lies, and the data reaches the disk in time); only one made before may be what a
 * power cut left at its name. Late rather than early, so the minute around the start counts as
 * before it.
 */
const machineStartedAt = Date.now() - os.uptime() * 1000 + 60_000;

export class ObjectStore {
  readonly root: string;
  readonly tmpDir: string;
  private chunk: Buffer | undefined;
  /** Temp names: pid first (gc reads it), then a per-instance random tag and a counter. */
  private readonly tmpTag = randomBytes(4).toString('hex');
  private tmpCount = 0;
  private birthTimes: boolean | undefined;
  private inPlace: boolean | undefined;

  /** @param startedAt When this machine started (a blob made before may be stale); for tests. */
  constructor(
    home: string,
    private readonly startedAt = machineStartedAt,
  ) {
    this.root = path.join(home, 'objects', 'sha256');
    this.tmpDir = path.join(home, 'tmp');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
  }

  pathFor(sha256: string): string {
    // Joined by hand: `root` is normalized and a digest is hex, and path.join normalizes every time
    // (a tenth of a second per 16,000 blobs measured here).
    return `${this.root}${path.sep}${sha256.slice(0, 2)}${path.sep}${sha256.slice(2)}`;
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.pathFor(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** A cheap existence check (one stat, no thread-pool round trip). */
  hasSync(sha256: string): boolean {
    return fsSync.existsSync(this.pathFor(sha256));
  }

  /**
   * Whether stat gives this store's filesystem's birth times: a filesystem that keeps none gives 0,
   * and where statx is missing libuv gives the ctime, which a touch moves. Found out once, from a
   * probe file whose ctime is moved on past the clock's tick (ext4's is a few ms).
   */
  private keepsBirthTimes(): boolean {
    if (this.birthTimes !== undefined) return this.birthTimes;
    const probe = path.join(this.tmpDir, `${process.pid}-${this.tmpTag}-${++this.tmpCount}-birth-probe`);
    try {
      fsSync.writeFileSync(probe, '', { flag: 'wx' });
      const before = fsSync.statSync(probe);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      fsSync.chmodSync(probe, 0o444);
      const after = fsSync.statSync(probe);
      // Kept for this store's life: the filesystem's answer does not change.
      this.birthTimes =
        after.birthtimeMs > 0 &&
        after.birthtimeMs === before.birthtimeMs &&
        after.ctimeMs !== after.birthtimeMs;
      return this.birthTimes;
    } catch {
      // Not known this time (no room, too many files open): of unknown age, asked again next time.
      return false;
    } finally {
      try {
        fsSync.rmSync(probe, { force: true });
      } catch {
        // gc removes it once this process has ended
      }
    }
  }

  /**
   * Touches the blob when it is there with the expected size, and says whether it is stale: made
   * before this machine started (or of unknown age: no birth time), so possibly what a power cut
   * left at its name. A blob of another size is one a crash cut short before it reached the disk:
   * it counts as absent (undefined) and the next write replaces it. A short one written to within
   * GROWING_MS is another writer's, still being written at its name (createSmallSync): it is waited
   * for, not replaced, since a replacement not yet durable could take the place of a blob another
   * add has made durable and committed.
   */
  private foundSync(file: string, size?: number): { stale: boolean } | undefined {
    // One stat that does not throw: a failing utimesSync builds an Error with a stack, which costs
    // more than storing a small file.
    let st = fsSync.statSync(file, { throwIfNoEntry: false });
    if (st && size !== undefined && st.size < size) st = awaitGrowth(file, st, size);
    if (!st || (size !== undefined && st.size !== size)) return undefined;
    const t = new Date();
    try {
      fsSync.utimesSync(file, t, t);
    } catch {
      return undefined;
    }
    // The birth time, which neither a touch nor a rename changes (ctime they do), where the
    // filesystem keeps one; else the blob is of unknown age.
    return { stale: !(this.keepsBirthTimes() && st.birthtimeMs > this.startedAt) };
  }

  tmpPath(): string {
    return path.join(this.tmpDir, this.tmpName());
  }

  private tmpName(): string {
    return `${process.pid}-${this.tmpTag}-${++this.tmpCount}.part`;
  }

  /**
   * A staging name inside a blob folder: a dot, then the pid (gc reads it). Never a digest, so
   * nothing takes it for a blob.
   */
  private stagingPath(dir: string): string {
    return path.join(dir, `${STAGED_PREFIX}${this.tmpName()}`);
  }

  /**
   * Runs `make` (which creates `file`), and when the blob folder it goes into is missing, makes the
   * folder and runs it again. Folders are made only on demand: a mkdir per folder per worker, even
   * a failing one, meets the other workers' file creations on the parent folder's lock (measured
   * here: up to a quarter of a second per worker on a fresh store).
   */
  private inBlobFolder<T>(file: string, make: () => T): T {
    try {
      return make();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fsSync.mkdirSync(path.dirname(file), { recursive: true });
      return make();
    }
  }

  /**
   * Stores the file at `src`, whose stat was taken when it was listed. Fails with IO when the file
   * changes while it is read (size or mtime differ afterwards) so a half-changed file is never kept.
   */
  putFileSync(src: string, expected: SourceStat, opts: PutOptions = {}): StoredBlob {
    if (expected.size >= CHUNK) return this.putLargeSync(src, expected, opts);
    const input = fsSync.openSync(src, 'r');
    try {
      return this.putSmallSync(src, input, expected, opts);
    } finally {
      fsSync.closeSync(input);
    }
  }

  /** One read into a reused buffer, and no temp file at all when the content is already stored. */
  private putSmallSync(src: string, input: number, expected: SourceStat, opts: PutOptions): StoredBlob {
    const buffer = this.buffer();
    const n = readListed(input, buffer, expected.size);
    assertUnchanged(src, expected, fsSync.fstatSync(input, { bigint: true }), n);
    const data = buffer.subarray(0, n);
    // One call: a Hash object costs more to make than hashing a few KiB (measured: ~6 µs a file).
    const sha256 = hashOnce('sha256', data, 'hex');
    opts.onBytes?.(n);
    const dest = this.pathFor(sha256);
    if (!opts.replace) {
      const found = this.foundSync(dest, n);
      if (found) return { sha256, size: n, written: false, stale: found.stale };
      if (this.writesInPlace() && this.createSmallSync(dest, data)) return { sha256, size: n, written: true };
      // Another writer made it since the check above.
      const now = this.foundSync(dest, n);
      if (now) return { sha256, size: n, written: false, stale: now.stale };
    }
    // Absent where blobs are not written in place, a blob of another size at its name (one a crash
    // cut short, or another writer's still being written), or one to replace: staged in the blob's
    // own folder and renamed over it, so the name never goes missing. The rename stays inside that
    // folder: concurrent writers meet neither on one staging folder's lock nor on the
    // filesystem-wide lock a rename across folders takes (measured here: a fifth of an add's CPU
    // spent spinning on those with tmp/).
    const tmp = this.stagingPath(path.dirname(dest));
    try {
      this.inBlobFolder(tmp, () => fsSync.writeFileSync(tmp, data, { mode: 0o444, flag: 'wx' }));
      renameOver(tmp, dest);
    } catch (err) {
      fsSync.rmSync(tmp, { force: true });
      throw err;
    }
    return { sha256, size: n, written: true };
  }

  /**
   * Whether small blobs are written straight to their name: on the local Linux filesystems, whose
   * writes grow a file as they copy into the page cache and report their errors at the write, so a
   * blob at its expected size holds what was written. Elsewhere (network and FUSE filesystems,
   * which may report a failed write only at close, with the file already full size; other systems)
   * a blob is staged and renamed into place when complete. Found out once per store.
   */
  private writesInPlace(): boolean {
    if (this.inPlace === undefined) {
      try {
        this.inPlace =
          process.platform === 'linux' && IN_PLACE_FILESYSTEMS.has(fsSync.statfsSync(this.root).type);
      } catch {
        this.inPlace = false;
      }
    }
    return this.inPlace;
  }

  /**
   * Creates a small blob at its name and writes it: false when a file is there already. No staging
   * file and rename (measured here: a fifth of the cost of storing a small file). So a small blob
   * can be seen at its name incomplete: while it is written, or when a crash cut its write short.
   * Its size says so: a write grows the file as it copies, and a found blob counts only with the
   * expected size (foundSync). One a power cut left full size with zeros (the size reached the
   * disk, the data did not) is older than the machine's start and hashed again
   * (StoreWorkers.checkFound). A failed write leaves its file, never removed: another writer may
   * have renamed a complete one over it meanwhile. Nothing reads a blob before records name it,
   * and gc collects one nothing names.
   */
  private createSmallSync(dest: string, data: Buffer): boolean {
    let fd: number;
    try {
      fd = this.inBlobFolder(dest, () =>
        fsSync.openSync(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o444),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      for (let at = 0; at < data.length; ) at += fsSync.writeSync(fd, data, at, data.length - at);
    } finally {
      fsSync.closeSync(fd);
    }
    return true;
  }

  /**
   * The kernel copies (a reflink where the filesystem can clone, else copy_file_range), then the
   * copy is hashed from the page cache. Measured here: 800 MiB in 0.9 s of one core, against 2.6 s
   * to read, hash and write through a buffer of our own — writing from user memory into new page
   * cache pages is what costs. Hashing the copy, not the source, makes the blob exactly what was
   * hashed whatever the source does meanwhile; the source's size and mtime, compared once the copy
   * is hashed, say whether it is a consistent snapshot.
   */
  private putLargeSync(src: string, expected: SourceStat, opts: PutOptions): StoredBlob {
    if (opts.isCancelled?.()) throw cancelled();
    const tmp = this.tmpPath();
    try {
      fsSync.copyFileSync(src, tmp, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE);
      const hash = createHash('sha256');
      const fd = fsSync.openSync(tmp, 'r');
      let total = 0;
      try {
        const chunk = this.buffer();
        for (;;) {
          if (opts.isCancelled?.()) throw cancelled();
          const n = fsSync.readSync(fd, chunk, 0, CHUNK, total);
          if (n === 0) break;
          hash.update(chunk.subarray(0, n));
          total += n;
          opts.onBytes?.(n);
        }
      } finally {
        fsSync.closeSync(fd);
      }
      assertUnchanged(src, expected, fsSync.statSync(src, { bigint: true }), total);
      fsSync.chmodSync(tmp, 0o444);
      const sha256 = hash.digest('hex');
      const found = opts.replace ? undefined : this.foundSync(this.pathFor(sha256), total);
      if (found) {
        fsSync.rmSync(tmp, { force: true });
        return { sha256, size: total, written: false, stale: found.stale };
      }
      this.placeSync(tmp, sha256);
      return { sha256, size: total, written: true };
    } catch (err) {
      fsSync.rmSync(tmp, { force: true });
      throw err;
    }
  }

  private buffer(): Buffer {
    this.chunk ??= Buffer.allocUnsafe(CHUNK);
    return this.chunk;
  }

  /**
   * Moves a finished temp file into place. The caller checked that the blob was absent; should
   * another writer have placed the same content since, the rename replaces it with identical bytes.
   */
  private placeSync(tmp: string, sha256: string): void {
    const dest = this.pathFor(sha256);
    this.inBlobFolder(dest, () => renameOver(tmp, dest));
  }

  /**
   * Every file of the store in one pass over its folders: blobs, with their size and modification
   * time, and staging entries, with the pid their name starts with: those in blob folders and
   * whatever is in tmp/ but the upload sessions' folder (an unreadable tmp/ has none).
   */
  async *listFiles(): AsyncGenerator<StoreFile> {
    const pidOf = (name: string) => Number(name.split('-')[0]);
    for (const name of await fs.readdir(this.tmpDir).catch(() => [] as string[])) {
      if (name !== 'uploads') yield { kind: 'staged', file: path.join(this.tmpDir, name), pid: pidOf(name) };
    }
    for (const a of await readdirOrEmpty(this.root)) {
      const dir = path.join(this.root, a);
      for (const name of await readdirOrEmpty(dir)) {
        const file = path.join(dir, name);
        if (name.startsWith(STAGED_PREFIX)) {
          yield { kind: 'staged', file, pid: pidOf(name.slice(STAGED_PREFIX.length)) };
          continue;
        }
        const st = await fs.stat(file).catch(() => undefined);
        if (st?.isFile()) yield { kind: 'blob', sha256: a + name, file, size: st.size, mtimeMs: st.mtimeMs };
      }
    }
  }
}

/** How recently a short blob must have been written to for it to be waited for (foundSync). */
const GROWING_MS = 2_000;

/**
 * The blob's stat once it has reached `size`, or once it has not been written to for GROWING_MS
 * (its writer gone), waiting at most that long in all; polled every few milliseconds.
 */
function awaitGrowth(file: string, st: fsSync.Stats | undefined, size: number): fsSync.Stats | undefined {
  const until = Date.now() + GROWING_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (st && st.size < size && Date.now() - st.mtimeMs < GROWING_MS && Date.now() < until) {
    Atomics.wait(pause, 0, 0, 5);
    st = fsSync.statSync(file, { throwIfNoEntry: false });
  }
  return st;
}

/**
 * Renames a finished file to its blob's name, replacing a blob there (identical, or damaged). On
 * Windows a read-only file cannot be replaced, so the one there is made writable first.
 */
function renameOver(tmp: string, dest: string): void {
  try {
    fsSync.renameSync(tmp, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (process.platform !== 'win32' || (code !== 'EPERM' && code !== 'EACCES')) throw err;
    fsSync.chmodSync(dest, 0o644);
    fsSync.renameSync(tmp, dest);
  }
}

/**
 * Reads a small file whose listed size is `listed`, asking for one byte more, so a file that grew
 * shows without a second read; returns the count read. A read that brings the count to `listed` is
 * taken as the end without asking again (a regular file's read is short only there; the fstat that
 * follows confirms the size).
 */
function readListed(fd: number, buffer: Buffer, listed: number): number {
  const want = listed + 1;
  let read = 0;
  while (read < want) {
    const n = fsSync.readSync(fd, buffer, read, want - read, read);
    if (n === 0) break;
    read += n;
    if (read === listed) break;
  }
  return read;
}

function assertUnchanged(
  src: string,
  expected: SourceStat,
  after: { size: bigint; mtimeNs: bigint },
  read: number,
) {
  if (Number(after.size) !== expected.size || after.mtimeNs !== expected.mtimeNs || read !== expected.size) {
    throw ioError(
      `${src} changed while it was being read (size or modification time differ). Nothing was stored for it; wait until it is no longer being written and add it again.`,
      { path: src },
    );
  }
}

/**
 * SHA-256 of a file, read in 1 MiB chunks into one reused buffer (fresh buffers per chunk cost
 * twice the CPU here, in allocation and page faults). Throws the signal's AbortError when aborted.
 */
export async function hashFile(
  file: string,
  opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
) {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const handle = await fs.open(file, 'r');
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      opts.onBytes?.(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
