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
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Parallel fsyncs in the fallback: enough to keep a disk's queue busy. */
const FSYNC_PARALLEL = 8;

export async function makeDurable(root: string, files: string[], signal?: AbortSignal): Promise<void> {
  if (files.length === 0) return;
  if (process.platform === 'linux' && (await syncFilesystem(root, signal))) return;
  // Cancelled: the caller commits nothing, so there is nothing to wait for.
  if (signal?.aborted) return;
  await fsyncAll(files);
  // A new directory entry is durable once its folder is; Windows cannot open folders to sync them.
  if (process.platform !== 'win32') {
    await fsyncAll([...new Set(files.map((f) => path.dirname(f)))]);
    await fsyncAll([root]);
  }
}

/** Bytes stored between background flushes. */
export const FLUSH_EVERY = 64 * 1024 * 1024;

/** Background syncfs while a store runs (Linux); elsewhere it does nothing until makeDurable. */
export class Flusher {
  private pending = 0;
  private running: Promise<boolean> | undefined;

  constructor(private readonly root: string) {}

  stored(bytes: number): void {
    if (process.platform !== 'linux') return;
    this.pending += bytes;
    if (this.pending < FLUSH_EVERY || this.running) return;
    this.pending = 0;
    this.running = syncFilesystem(this.root).finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for a background flush still running, then makes `files` durable. */
  async finish(files: string[], signal?: AbortSignal): Promise<void> {
    await this.running;
    await makeDurable(this.root, files, signal);
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
