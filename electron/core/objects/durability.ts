/**
 * New blobs are made durable before anything naming them is committed: after a power cut a
 * committed version must never point at an empty or missing blob (docs/architecture.md §3: a
 * version is whole or absent after a crash). A rename into objects/ orders nothing on disk by
 * itself.
 *
 * One syncfs(2) of the store's filesystem covers any number of blobs with large merged writes,
 * where an fsync per file costs a synchronous metadata write each (thousands of small files:
 * seconds). Node has no syncfs, so on Linux it is coreutils' `sync -f DIR`. Elsewhere, or where
 * that fails, each new blob and the folders holding them are fsync'ed.
 *
 * The disk should not sit idle while blobs are hashed and then be waited for at the end (the kernel
 * starts writing dirty pages only past a tenth of RAM or after 30 s): on Linux a background syncfs
 * runs after every 64 MiB stored (Flusher; one at a time), so the final one has little left to
 * write (measured here on the 1 GiB bench folder: the final wait 350–400 ms at 256 MiB, 170–220 ms
 * at 64 MiB, storing no slower). It flushes what other programs wrote to that filesystem too, as
 * the final one does; that is only writing earlier what the kernel would write within half a
 * minute anyway.
 *
 * A store's flushes go through one long-lived `sh` that runs `sync -f` per request (SyncHelper):
 * starting `sync` from this process forks all of it, workers and heaps included (measured here:
 * ~37 ms of the main thread per flush, the store workers starved meanwhile; 0.6 s of a 1 GiB add
 * at one flush per 64 MiB), where a fork of the small shell costs under a millisecond.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Parallel fsyncs in the fallback: enough to keep a disk's queue busy. */
const FSYNC_PARALLEL = 8;

/** The blobs' files, or a function that lists them: only the per-file fallback needs the list. */
type Files = string[] | (() => string[]);

export async function makeDurable(
  root: string,
  files: Files,
  signal?: AbortSignal,
  skipFilesystem = false,
): Promise<void> {
  if (typeof files !== 'function' && files.length === 0) return;
  if (process.platform === 'linux' && !skipFilesystem && (await syncFilesystem(root, signal))) return;
  // Cancelled: the caller commits nothing, so there is nothing to wait for.
  if (signal?.aborted) return;
  const list = typeof files === 'function' ? files() : files;
  if (list.length === 0) return;
  await fsyncAll(list);
  // A new directory entry is durable once its folder is; Windows cannot open folders to sync them.
  if (process.platform !== 'win32') {
    await fsyncAll([...new Set(list.map((f) => path.dirname(f)))]);
    await fsyncAll([root]);
  }
}

/** Bytes stored between background flushes. */
export const FLUSH_EVERY = 64 * 1024 * 1024;

/** Background syncfs while a store runs (Linux); elsewhere it does nothing until makeDurable. */
export class Flusher {
  private pending = 0;
  private running: Promise<boolean> | undefined;
  /** Started with the first background flush; undefined too when it could not be started. */
  private helper: SyncHelper | undefined;
  /**
   * A background flush failed: a write error it met may not be reported to the final one (syncfs
   * reports an error once per open file), so the blobs are then synced one by one.
   */
  private failed = false;

  constructor(private readonly root: string) {}

  stored(bytes: number): void {
    if (process.platform !== 'linux' || this.failed) return;
    this.pending += bytes;
    if (this.pending < FLUSH_EVERY || this.running) return;
    this.pending = 0;
    try {
      this.helper ??= new SyncHelper(this.root);
    } catch {
      // No process could be started (too many open files): the final flush makes them durable.
      this.failed = true;
      return;
    }
    this.running = this.helper.sync().then((ok) => {
      if (!ok) this.failed = true;
      this.running = undefined;
      return ok;
    });
  }

  /**
   * Waits for a background flush still running, then makes the blobs durable: `count` of them,
   * listed by `files` only if they must be synced one by one. Ends the helper.
   */
  async finish(count: number, files: () => string[], signal?: AbortSignal): Promise<void> {
    try {
      await this.running;
      if (count === 0) return;
      if (!this.failed && this.helper && (await this.helper.sync(signal))) return;
      if (signal?.aborted) return;
      // A flush failed (no `sync -f`, a write error, the shell gone): each blob is synced instead.
      await makeDurable(this.root, files, signal, this.failed || this.helper !== undefined);
    } finally {
      this.close();
    }
  }

  /** Ends the helper, if any (a store that failed or was cancelled never reaches finish). */
  close(): void {
    this.helper?.close();
  }
}

/**
 * One `sh` that runs `sync -f DIR` for each line it reads and answers with its exit status, so a
 * flush forks the shell, not this process. It holds the event loop open only while a flush is
 * asked and unanswered, and ends when its input closes (close(), or this process ending).
 */
export class SyncHelper {
  private readonly child: ChildProcess;
  /** Resolvers of the flushes asked, in order; the shell answers in order. */
  private readonly waiting: ((ok: boolean) => void)[] = [];
  private answers = '';
  private dead = false;
  private closed = false;

  constructor(dir: string) {
    this.child = spawn(
      'sh',
      ['-c', 'while read -r _; do sync -f "$1" 2>/dev/null; echo $?; done', 'mlwb-sync', dir],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    const fail = () => {
      this.dead = true;
      for (const resolve of this.waiting.splice(0)) resolve(false);
      this.holdLoop();
    };
    this.child.on('error', fail);
    this.child.on('exit', fail);
    // Without its pipes (no file descriptors left) it is of no use: fail here, not later.
    if (!this.child.stdin || !this.child.stdout) {
      this.child.kill();
      this.child.unref();
      throw new Error('The sync helper could not be started.');
    }
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.answers += chunk;
      for (let nl = this.answers.indexOf('\n'); nl >= 0; nl = this.answers.indexOf('\n')) {
        const status = this.answers.slice(0, nl);
        this.answers = this.answers.slice(nl + 1);
        this.waiting.shift()?.(status === '0');
      }
      this.holdLoop();
    });
    // A closed pipe is reported by 'exit'; the write's own error would be unhandled.
    this.child.stdin.on('error', () => {});
    this.holdLoop();
  }

  /**
   * Flushes the filesystem; true once done, false when it could not be (no `sync -f`, the shell
   * gone) or `signal` aborted first (the flush itself still runs).
   */
  sync(signal?: AbortSignal): Promise<boolean> {
    if (this.dead || this.closed || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => settle(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      // The answer still takes its place in the queue when the caller stopped waiting for it.
      this.waiting.push(settle);
      this.holdLoop();
      this.child.stdin!.write('\n');
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin!.end();
  }

  private holdLoop(): void {
    const hold = this.waiting.length > 0 && !this.dead;
    const handles = [this.child, this.child.stdin, this.child.stdout] as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    for (const h of handles) {
      if (hold) h?.ref?.();
      else h?.unref?.();
    }
  }
}

/** syncfs on the filesystem holding `dir`; false when `sync -f` is not available. */
function syncFilesystem(dir: string, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sync', ['-f', dir], { signal }, (err) => resolve(!err));
  });
}

async function fsyncAll(files: string[]): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const handle = await fs.promises.open(files[next++]!, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FSYNC_PARALLEL, files.length) }, lane));
}
