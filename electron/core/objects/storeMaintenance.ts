/**
 * Integrity and garbage collection of the object store.
 * - verify re-hashes every blob the database references: missing and corrupt ones are named.
 * - gc deletes blob files no committed record references, except those a live writer may still
 *   commit (see writeLease.ts), and temp files left by processes that died.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { GcResult, VerifyResult } from '../../../shared/datasets.ts';
import { datasetBlobs } from '../datasets/datasetRepo.ts';
import { cancelled } from '../errors.ts';
import type { OpContext } from '../ops/operations.ts';
import { pidExists } from '../processIdentity.ts';
import { modelBlobs } from '../registry/modelRepo.ts';
import type { Db } from '../store/database.ts';
import { snapshotBlobs } from '../training/codeSnapshot.ts';
import { type BlobReferences, forgetUnreferenced, registeredBlobs } from './blobIndex.ts';
import { hashFile, type ObjectStore } from './objectStore.ts';
import { oldestLiveLease } from './writeLease.ts';

/** Every feature whose records reference blobs; later features add theirs here. */
const BLOB_REFERENCES: BlobReferences[] = [datasetBlobs, snapshotBlobs, modelBlobs];

export async function verifyObjects(db: Db, objects: ObjectStore, ctx?: OpContext): Promise<VerifyResult> {
  const blobs = registeredBlobs(db);
  const total = blobs.reduce((n, b) => n + b.size, 0);
  const corrupt: string[] = [];
  const missing: string[] = [];
  let done = 0;
  for (const b of blobs) {
    if (ctx?.signal.aborted) throw cancelled();
    const file = objects.pathFor(b.sha256);
    try {
      const st = await fs.stat(file);
      if (st.size !== b.size) {
        corrupt.push(b.sha256);
      } else if ((await hashFile(file, { signal: ctx?.signal })) !== b.sha256) {
        corrupt.push(b.sha256);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') missing.push(b.sha256);
      else if ((err as Error).name === 'AbortError') throw cancelled();
      else corrupt.push(b.sha256);
    }
    done += b.size;
    ctx?.progress({ phase: 'verifying', done, total, message: `${b.sha256.slice(0, 12)}…` });
  }
  return { objects: blobs.length, corrupt, missing, usedBy: usersOf(db, [...corrupt, ...missing]) };
}

/** What refers to each digest, so a report of damage says which files are hit. */
function usersOf(db: Db, digests: string[]): Record<string, string[]> {
  return Object.fromEntries(digests.map((sha) => [sha, BLOB_REFERENCES.flatMap((r) => r.usersOf(db, sha))]));
}

/**
 * Scratch folders whose process is gone: upload sessions (`tmp/uploads/<pid>-…`) and monitors'
 * window tables (`tmp/window-<pid>-…`). Each is named by the process that made it, so one a live
 * process still uses is never touched. At the server's start and in `gc`.
 */
export function removeAbandonedScratch(home: string): { removed: number; freedBytes: number } {
  const tmp = path.join(home, 'tmp');
  const uploads = path.join(tmp, 'uploads');
  const scratch = [
    ...(fsSync.existsSync(uploads)
      ? fsSync.readdirSync(uploads).map((name) => ({ name, dir: path.join(uploads, name) }))
      : []),
    ...(fsSync.existsSync(tmp) ? fsSync.readdirSync(tmp) : [])
      .filter((n) => n.startsWith('window-'))
      .map((n) => ({ name: n.slice('window-'.length), dir: path.join(tmp, n) })),
  ];
  let removed = 0;
  let freedBytes = 0;
  for (const { name, dir } of scratch) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidExists(pid)) continue;
    for (const f of fsSync.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (f.isFile()) freedBytes += fsSync.statSync(path.join(f.parentPath, f.name)).size;
    }
    fsSync.rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  return { removed, freedBytes };
}

export async function collectGarbage(db: Db, objects: ObjectStore): Promise<GcResult> {
  const uploads = removeAbandonedScratch(path.dirname(objects.tmpDir));
  let removed = uploads.removed;
  let freedBytes = uploads.freedBytes;
  // Registered blobs no longer referenced by anything (e.g. after a dataset is deleted).
  forgetUnreferenced(db, BLOB_REFERENCES);
  const known = new Set(registeredBlobs(db).map((r) => r.sha256));
  const since = oldestLiveLease(db);
  for await (const entry of objects.listFiles()) {
    let size: number;
    if (entry.kind === 'blob') {
      if (known.has(entry.sha256)) continue;
      if (since !== undefined && entry.mtimeMs >= since - 1000) continue;
      size = entry.size;
    } else {
      // Staging files of processes that died (this one's may be in use).
      const { pid } = entry;
      if (pid === process.pid || (Number.isInteger(pid) && pid > 0 && pidExists(pid))) continue;
      const st = await fs.stat(entry.file).catch(() => undefined);
      if (!st?.isFile()) continue;
      size = st.size;
    }
    await fs.rm(entry.file, { force: true });
    removed++;
    freedBytes += size;
  }
  return { removed, freedBytes };
}
