/**
 * A recipe folder as it was when a run started: its files stored as blobs and its manifest kept
 * under the manifest's digest, so a run can be repeated even after the folder changes. The owner
 * of the tables code_snapshots and code_snapshot_files.
 */
import type { ManifestEntry } from '../../../shared/datasets.ts';
import { manifestDigest } from '../datasets/manifest.ts';
import { walkSources } from '../datasets/sourceWalker.ts';
import { now } from '../ids.ts';
import { type BlobReferences, blobRegistrar } from '../objects/blobIndex.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { takeLease } from '../objects/writeLease.ts';
import { type Db, writeTransaction } from '../store/database.ts';

export async function snapshotFolder(
  db: Db,
  workers: StoreWorkers,
  dir: string,
  signal?: AbortSignal,
): Promise<{ digest: string; entries: ManifestEntry[] }> {
  const walk = await walkSources([dir], { signal });
  const release = takeLease(db);
  try {
    const digests = await workers.store(walk.files, { signal });
    const entries = walk.files.map((f, i) => ({
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
