/**
 * New blobs are made durable before anything naming them is committed: after a power cut a
 * committed version must never point at an empty or missing blob (DESIGN §3: a version is whole
 * or absent after a crash). A rename into objects/ orders nothing on disk by itself.
 *
 * One syncfs(2) of the store's filesystem covers any number of blobs with large merged writes,
 * where an fsync per file costs a synchronous metadata write each (thousands of small files:
 * seconds). Node has no syncfs, so on Linux it is coreutils' `sync -f DIR`. Elsewhere, or where
 * that fails, each new blob and the folders holding them are fsync'ed.
 *
 * Writeback of large blobs is started as soon as each is placed (startWriteback), so the disk
 * writes them while the rest is still being hashed and the final sync has less left to do.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Parallel fsyncs in the fallback: enough to keep a disk's queue busy. */
const FSYNC_PARALLEL = 8;

export async function makeDurable(root: string, files: string[], signal?: AbortSignal): Promise<void> {
  if (files.length === 0) return;
  if (process.platform === 'linux' && (await syncFilesystem(root, signal))) return;
  await fsyncAll(files);
  // A new directory entry is durable once its folder is; Windows cannot open folders to sync them.
  if (process.platform !== 'win32') {
    await fsyncAll([...new Set(files.map((f) => path.dirname(f)))]);
    await fsyncAll([root]);
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

/**
 * Asks the kernel to start writing a placed blob now, without waiting for it (the final
 * makeDurable waits). Errors are ignored: this only moves work earlier.
 */
export function startWriteback(file: string): void {
  fs.open(file, 'r', (err, fd) => {
    if (err) return;
    fs.fdatasync(fd, () => fs.close(fd, () => {}));
  });
}
