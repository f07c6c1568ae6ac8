/**
 * A recipe folder as it was when a run started: its files stored as blobs and its manifest kept
 * under the manifest's digest, so a run can be repeated even after the folder changes. The owner
 * of the tables code_snapshots and code_snapshot_files.
 *
 * The snapshot also holds the workbench's Python helper for the container contract,
 * `mlwb_io.py` (one source: resources/runtime/), unless the folder has its own: recipes import it
 * without copying it, it counts in the digest (a re-run gets the very same file), and a `build:`
 * recipe's Dockerfile can COPY it, the build context being the snapshot.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestEntry } from '../../../shared/datasets.ts';
import { manifestDigest } from '../datasets/manifest.ts';
import { type SourceFile, walkSources } from '../datasets/sourceWalker.ts';
import { now } from '../ids.ts';
import { type BlobReferences, blobRegistrar } from '../objects/blobIndex.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { takeLease } from '../objects/writeLease.ts';
import { packageRoot } from '../packageRoot.ts';
import { type Db, writeTransaction } from '../store/database.ts';

/** Where a run's code finds the helper: /workbench/code/mlwb_io.py. */
export const RUNTIME_HELPER = 'mlwb_io.py';

/** The helper's one source. In a packaged app it is unpacked from the asar archive: workers read it. */
export function runtimeHelperPath(): string {
  const file = path.join(packageRoot(), 'resources', 'runtime', RUNTIME_HELPER);
  const unpacked = file.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  return unpacked !== file && fs.existsSync(unpacked) ? unpacked : file;
}

/** The helper as one more file of the folder, unless the folder has a file or folder of that name. */
function withRuntimeHelper(files: SourceFile[]): SourceFile[] {
  if (files.some((f) => f.relPath === RUNTIME_HELPER || f.relPath.startsWith(`${RUNTIME_HELPER}/`)))
    return files;
  const absPath = runtimeHelperPath();
  const st = fs.statSync(absPath, { bigint: true });
  // A fixed mode: the digest of a recipe does not depend on how this checkout was made.
  const helper = {
    absPath,
    relPath: RUNTIME_HELPER,
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    ino: st.ino,
    mode: 0o644,
  };
  // In path order, as the walk lists files.
  return [...files, helper].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
}

export async function snapshotFolder(
  db: Db,
  workers: StoreWorkers,
  dir: string,
  signal?: AbortSignal,
): Promise<{ digest: string; entries: ManifestEntry[] }> {
  const files = withRuntimeHelper((await walkSources([dir], { signal })).files);
  const release = takeLease(db);
  try {
    const digests = await workers.store(files, { signal });
    const entries = files.map((f, i) => ({
      path: f.relPath,
      size: f.size,
      sha256: digests[i]!,
      mode: f.mode,
    }));
    const digest = manifestDigest(entries);
    writeTransaction(db, () => {
      if (db.prepare('SELECT 1 FROM code_snapshots WHERE digest = ?').get(digest)) return;
      const t = now();
      db.prepare('INSERT INTO code_snapshots (digest, entries, created_at) VALUES (?, ?, ?)').run(
        digest,
        JSON.stringify(entries),
        t,
      );
      const registerBlob = blobRegistrar(db);
      const link = db.prepare('INSERT OR IGNORE INTO code_snapshot_files (digest, sha256) VALUES (?, ?)');
      for (const e of entries) {
        registerBlob(e.sha256, e.size, t);
        link.run(digest, e.sha256);
      }
    });
    return { digest, entries };
  } finally {
    release();
  }
}

export function snapshotEntries(db: Db, digest: string): ManifestEntry[] | undefined {
  const row = db.prepare('SELECT entries FROM code_snapshots WHERE digest = ?').pluck().get(digest) as
    | string
    | undefined;
  return row ? (JSON.parse(row) as ManifestEntry[]) : undefined;
}

/** The blobs recipe snapshots reference (see blobIndex.ts). */
export const snapshotBlobs: BlobReferences = {
  select: 'SELECT sha256 FROM code_snapshot_files',
  usersOf: (db, sha256) =>
    (
      db
        .prepare('SELECT digest FROM code_snapshot_files WHERE sha256 = ? LIMIT 5')
        .pluck()
        .all(sha256) as string[]
    ).map((d) => `recipe code snapshot ${d.slice(0, 12)}`),
};
