/**
 * Adding a version: list the sources, store each file's content once (stat cache first, then one
 * read pass that hashes and copies, on the store workers), and commit the manifest in one
 * transaction. Until the commit nothing is visible; a cancelled or killed add leaves only
 * unreferenced blobs for gc.
 */
import { createHash } from 'node:crypto';
import type { AddResult, ManifestEntry } from '../../../shared/datasets.ts';
import { cancelled } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { takeLease } from '../objects/writeLease.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Db } from '../store/database.ts';
import type { DatasetRepo } from './datasetRepo.ts';
import { manifestDigest } from './manifest.ts';
import { type SourceFile, walkSources } from './sourceWalker.ts';
import { StatCache } from './statCache.ts';

export interface IngestRequest {
  name: string;
  paths: string[];
  message: string;
  /** Staged uploads are temporary paths: caching their stats would only grow the cache. */
  useStatCache?: boolean;
}

export type IngestResult = AddResult & { warnings: string[] };

export interface IngestDeps {
  db: Db;
  objects: ObjectStore;
  workers: StoreWorkers;
  repo: DatasetRepo;
}

export async function ingest(deps: IngestDeps, req: IngestRequest, ctx: OpContext): Promise<IngestResult> {
  const { db, objects, workers, repo } = deps;
  const useCache = req.useStatCache !== false;
  const cache = new StatCache(db);
  // Content never seen before will be stored: let the workers boot while the files are listed.
  if (!useCache || !cache.knowsAnyUnder(req.paths)) workers.warmUp();
  ctx.progress({ phase: 'scanning', done: 0, total: null, message: 'Listing files' });
  const walk = await walkSources(req.paths, {
    signal: ctx.signal,
    onFile: (n) => ctx.progress({ phase: 'scanning', done: n, total: null, message: `${n} files found` }),
  });
  const files = walk.files;
  // The same files, unchanged since they made the latest version: that version, from one stat of
  // each file (the stat cache's trust, without a lookup per file or a new manifest).
  const sources = useCache ? sourcesDigest(files) : undefined;
  const same = sources && repo.latestFromSources(req.name, sources);
  if (same) {
    ctx.progress({ phase: 'committing', done: walk.bytes, total: walk.bytes, message: 'Unchanged' });
    const { dataset, version, digest, files: count, bytes } = same;
    return {
      dataset,
      version,
      created: false,
      digest,
      files: count,
      bytes,
      newBytes: 0,
      warnings: walk.warnings,
    };
  }
  const release = takeLease(db);
  try {
    const cached = useCache ? cache.lookupMany(files) : files.map(() => undefined);
    const digests: string[] = new Array(files.length);
    const misses: number[] = [];
    let bytesDone = 0;
    let filesDone = 0;
    const report = () =>
      ctx.progress({
        phase: 'storing',
        done: bytesDone,
        total: walk.bytes,
        message: `${filesDone} of ${files.length} files`,
      });

    for (const [i, file] of files.entries()) {
      const hit = cached[i];
      // A committed blob stays while anything references it, so it is taken as is; an uncommitted
      // one (left by a killed add) must be on disk, and is touched so a concurrent gc keeps it
      // until this add commits.
      if (hit && (hit.committed || (await objects.touch(hit.sha256)))) {
        digests[i] = hit.sha256;
        bytesDone += file.size;
        filesDone++;
      } else {
        misses.push(i);
      }
    }
    report();
    if (ctx.signal.aborted) throw cancelled();

    const stored = await workers.store(
      misses.map((i) => files[i]!),
      {
        signal: ctx.signal,
        onBytes: (n) => {
          bytesDone += n;
          report();
        },
        onFiles: (n) => {
          filesDone += n;
          report();
        },
      },
    );
    const fresh: { key: SourceFile; sha256: string }[] = [];
    misses.forEach((i, k) => {
      digests[i] = stored[k]!;
      fresh.push({ key: files[i]!, sha256: stored[k]! });
    });
    if (ctx.signal.aborted) throw cancelled();

    const entries: ManifestEntry[] = files.map((f, i) => ({
      path: f.relPath,
      size: f.size,
      sha256: digests[i]!,
      mode: f.mode,
    }));
    const digest = manifestDigest(entries);
    ctx.progress({
      phase: 'committing',
      done: walk.bytes,
      total: walk.bytes,
      message: 'Recording the version',
    });
    const outcome = repo.commitVersion({ name: req.name, message: req.message, digest, entries, sources });
    if (useCache) cache.rememberMany(fresh);
    return {
      dataset: req.name,
      version: outcome.summary.version,
      created: outcome.created,
      digest,
      files: outcome.summary.files,
      bytes: outcome.summary.bytes,
      newBytes: outcome.created ? outcome.summary.newBytes : 0,
      warnings: walk.warnings,
    };
  } finally {
    release();
  }
}

/**
 * What an add read, as one digest: every file's absolute and manifest paths, size, modification
 * time (ns), inode and mode, in manifest order.
 */
export function sourcesDigest(files: SourceFile[]): string {
  const hash = createHash('sha256');
  let chunk = '';
  for (const f of files) {
    chunk += `${f.absPath}\0${f.relPath}\0${f.size}\0${f.mtimeNs}\0${f.ino}\0${f.mode}\n`;
    if (chunk.length > 1 << 16) {
      hash.update(chunk);
      chunk = '';
    }
  }
  return hash.update(chunk).digest('hex');
}
