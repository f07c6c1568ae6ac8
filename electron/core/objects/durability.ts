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
import type { Socket } from 'node:net';
import path from 'node:path';

/** Parallel fsyncs in the fallback: enough to keep a disk's queue busy. */
const FSYNC_PARALLEL = 8;

/** Makes `files` durable at once: one syncfs on Linux, else (or where that fails) each fsync'ed. */
export async function makeDurable(root: string, files: string[], signal?: AbortSignal): Promise<void> {
  if (files.length === 0) return;
  if (process.platform === 'linux' && (await syncFilesystem(root, signal))) return;
  await fsyncEach(root, files, signal);
}

/**
 * Each file fsync'ed, then the folders holding them (a new directory entry is durable once its
 * folder is; Windows cannot open folders to sync them). Nothing once cancelled: the caller then
 * commits nothing, so there is nothing to wait for.
 */
async function fsyncEach(root: string, files: string[], signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await fsyncAll(files);
  if (process.platform !== 'win32') {
    await fsyncAll([...new Set(files.map((f) => path.dirname(f)))]);
    await fsyncAll([root]);
  }
}

/** Bytes stored between background flushes. */
export const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * A store's flushes (Linux): in the background after every FLUSH_EVERY bytes stored, one at a time,
 * and the final one, all through one SyncHelper started with the first. Elsewhere, or once a flush
 * failed, the final step fsyncs each blob instead.
 */
export class Flusher {
  private pending = 0;
  private running: Promise<boolean> | undefined;
  private helper: SyncHelper | undefined;
  /**
   * A flush failed (no `sync -f`, no process could be started, a write error): a write error it met
   * may not be reported to a later one (syncfs reports an error once per open file), so no more
   * are asked and each blob is synced by itself.
   */
  private failed = process.platform !== 'linux';

  constructor(private readonly root: string) {}

  stored(bytes: number): void {
    if (this.failed) return;
    this.pending += bytes;
    if (this.pending < FLUSH_EVERY || this.running) return;
    this.pending = 0;
    this.running = this.flush().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for a background flush still running, then makes `files` durable. Ends the helper. */
  async finish(files: string[], signal?: AbortSignal): Promise<void> {
    try {
      await this.running;
      if (files.length === 0 || (await this.flush(signal))) return;
      await fsyncEach(this.root, files, signal);
    } finally {
      this.close();
    }
  }

  /** Ends the helper, if any (a store that failed or was cancelled never reaches finish). */
  close(): void {
    this.helper?.close();
  }

  /** One syncfs through the helper; false when it failed (then never again) or was cancelled. */
  private async flush(signal?: AbortSignal): Promise<boolean> {
    if (this.failed) return false;
    try {
      this.helper ??= new SyncHelper(this.root);
    } catch {
      this.failed = true;
      return false;
    }
    const ok = await this.helper.sync(signal);
    if (!ok && !signal?.aborted) this.failed = true;
    return ok;
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
    // The child and the pipe it answers on; the input pipe holds the loop only while a write to it
    // is pending.
    const hold = this.waiting.length > 0 && !this.dead;
    for (const handle of [this.child, this.child.stdout as Socket]) {
      if (hold) handle.ref();
      else handle.unref();
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
