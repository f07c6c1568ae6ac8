/**
 * The content-addressed object store: `<home>/objects/sha256/ab/cd/<digest>`.
 *
 * A blob is written to `<home>/tmp/` while it is hashed and renamed into place only when it is
 * complete, so a crash leaves at most an unreferenced file that `gc` removes. Files are hashed and
 * copied in one read pass; where the filesystem can clone (reflink), the copy is a clone and the
 * only read is the hash. Blob files are read-only.
 */
import { createHash, randomBytes } from 'node:crypto';
import fsSync, { createReadStream, constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cancelled, ioError } from '../errors.ts';

const CHUNK = 4 * 1024 * 1024;
/** Files up to this size are read whole: one read, no streaming bookkeeping. */
const SMALL = 1024 * 1024;

export interface StoredBlob {
  sha256: string;
  size: number;
  /** True when this call put the blob in the store; false when the content was already there. */
  written: boolean;
}

export interface SourceStat {
  size: number;
  mtimeNs: bigint;
}

export class ObjectStore {
  readonly root: string;
  readonly tmpDir: string;
  private canClone: boolean | undefined;

  constructor(home: string) {
    this.root = path.join(home, 'objects', 'sha256');
    this.tmpDir = path.join(home, 'tmp');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
  }

  pathFor(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
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

  /** Marks a blob as recently used so a concurrent gc keeps it while a write is in flight. */
  async touch(sha256: string): Promise<boolean> {
    const t = new Date();
    try {
      await fs.utimes(this.pathFor(sha256), t, t);
      return true;
    } catch {
      return false;
    }
  }

  tmpPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}.part`);
  }

  /**
   * Stores the file at `src`, whose stat was taken when it was listed. Fails with IO when the file
   * changes while it is read (size or mtime differ afterwards) so a half-changed file is never kept.
   */
  async putFile(
    src: string,
    expected: SourceStat,
    opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
  ): Promise<StoredBlob> {
    if (expected.size <= SMALL) return this.putSmall(src, expected, opts.onBytes);
    if (this.canClone !== false) {
      const cloned = await this.tryClone(src, expected, opts);
      if (cloned) return cloned;
    }
    return this.putStreamed(src, expected, opts);
  }

  /**
   * Small files take the synchronous path: one read, one write, one rename, no thread-pool round
   * trips. Each call is well under a millisecond; the caller yields to the event loop between files.
   */
  private putSmall(src: string, expected: SourceStat, onBytes?: (n: number) => void): StoredBlob {
    const fd = fsSync.openSync(src, 'r');
    let data: Buffer;
    try {
      data = Buffer.allocUnsafe(expected.size);
      let read = 0;
      while (read < data.length) {
        const n = fsSync.readSync(fd, data, read, data.length - read, read);
        if (n === 0) break;
        read += n;
      }
      // One more byte would mean the file grew since it was listed.
      const extra = fsSync.readSync(fd, Buffer.allocUnsafe(1), 0, 1, read);
      assertUnchanged(src, expected, fsSync.fstatSync(fd, { bigint: true }), read + extra);
    } finally {
      fsSync.closeSync(fd);
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    onBytes?.(data.length);
    const dest = this.pathFor(sha256);
    if (touchSync(dest)) return { sha256, size: data.length, written: false };
    const tmp = this.tmpPath();
    try {
      fsSync.writeFileSync(tmp, data, { mode: 0o444 });
      this.ensureDir(path.dirname(dest));
      fsSync.renameSync(tmp, dest);
      return { sha256, size: data.length, written: true };
    } catch (err) {
      fsSync.rmSync(tmp, { force: true });
      throw err;
    }
  }

  private madeDirs = new Set<string>();
  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    fsSync.mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /** Read in 4 MiB chunks; the next read overlaps the previous chunk's write. */
  private async putStreamed(
    src: string,
    expected: SourceStat,
    opts: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): Promise<StoredBlob> {
    const tmp = this.tmpPath();
    const hash = createHash('sha256');
    const input = await fs.open(src, 'r');
    let output: fs.FileHandle | undefined;
    try {
      output = await fs.open(tmp, 'wx', 0o444);
      const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
      let pendingWrite: Promise<unknown> = Promise.resolve();
      let total = 0;
      for (let i = 0; ; i++) {
        if (opts.signal?.aborted) throw cancelled();
        const buf = buffers[i % 2]!;
        const { bytesRead } = await input.read(buf, 0, CHUNK, total);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        await pendingWrite;
        pendingWrite = output.write(chunk, 0, bytesRead, total);
        total += bytesRead;
        opts.onBytes?.(bytesRead);
      }
      await pendingWrite;
      assertUnchanged(src, expected, await input.stat({ bigint: true }), total);
      await output.close();
      output = undefined;
      const sha256 = hash.digest('hex');
      return { sha256, size: total, written: await this.commit(tmp, sha256) };
    } catch (err) {
      await output?.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw err;
    } finally {
      await input.close();
    }
  }

  private async tryClone(
    src: string,
    expected: SourceStat,
    opts: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): Promise<StoredBlob | undefined> {
    const tmp = this.tmpPath();
    try {
      await fs.copyFile(src, tmp, fsc.COPYFILE_FICLONE_FORCE | fsc.COPYFILE_EXCL);
      this.canClone = true;
    } catch {
      this.canClone = false;
      await fs.rm(tmp, { force: true });
      return undefined;
    }
    try {
      const after = await fs.stat(src, { bigint: true });
      const sha256 = await hashFile(tmp, opts);
      const size = (await fs.stat(tmp)).size;
      assertUnchanged(src, expected, after, size);
      await fs.chmod(tmp, 0o444);
      return { sha256, size, written: await this.commit(tmp, sha256) };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Moves a finished temp file into place; returns false when the blob was already there. */
  private async commit(tmp: string, sha256: string): Promise<boolean> {
    const dest = this.pathFor(sha256);
    if (await this.touch(sha256)) {
      await fs.rm(tmp, { force: true });
      return false;
    }
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(tmp, dest);
    return true;
  }

  /** Every blob file on disk, with its size and modification time. */
  async *listBlobs(): AsyncGenerator<{ sha256: string; file: string; size: number; mtimeMs: number }> {
    for (const a of await readdirOrEmpty(this.root)) {
      for (const b of await readdirOrEmpty(path.join(this.root, a))) {
        const dir = path.join(this.root, a, b);
        for (const name of await readdirOrEmpty(dir)) {
          const file = path.join(dir, name);
          const st = await fs.stat(file).catch(() => undefined);
          if (st?.isFile()) yield { sha256: name, file, size: st.size, mtimeMs: st.mtimeMs };
        }
      }
    }
  }
}

function touchSync(file: string): boolean {
  // existsSync first: a failing utimesSync builds an Error with a stack, which costs more than
  // the whole store of a small file.
  if (!fsSync.existsSync(file)) return false;
  const t = new Date();
  try {
    fsSync.utimesSync(file, t, t);
    return true;
  } catch {
    return false;
  }
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

export async function hashFile(
  file: string,
  opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
) {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: CHUNK, signal: opts.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    opts.onBytes?.(chunk.length);
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
