/**
 * Adding a version: list the sources, store each file's content once (stat cache first, then one
 * read pass that hashes and copies), and commit the manifest in one transaction. Until the commit
 * nothing is visible; a cancelled or killed add leaves only unreferenced blobs for gc.
 */
import type { AddResult, ManifestEntry } from '../../../shared/datasets.ts';
import { cancelled } from '../errors.ts';
import type { ObjectStore } from '../objects/objectStore.ts';
import { takeLease } from '../objects/writeLease.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Db } from '../store/database.ts';
import type { DatasetRepo } from './datasetRepo.ts';
import { manifestDigest } from './manifest.ts';
import { type SourceFile, walkSources } from './sourceWalker.ts';
import { StatCache } from './statCache.ts';

/** Files in flight at once: enough to hide per-file latency of small files on two cores. */
const PARALLEL_FILES = 8;
const YIELD_EVERY_MS = 10;

export interface IngestRequest {
  name: string;
  paths: string[];
  message: string;
  /** Staged uploads are temporary paths: caching their stats would only grow the cache. */
  useStatCache?: boolean;
}

export type IngestResult = AddResult & { warnings: string[] };

export async function ingest(
  deps: { db: Db; objects: ObjectStore; repo: DatasetRepo },
  req: IngestRequest,
  ctx: OpContext,
): Promise<IngestResult> {
  const { db, objects, repo } = deps;
  ctx.progress({ phase: 'scanning', done: 0, total: null, message: 'Listing files' });
  const walk = await walkSources(req.paths, {
    signal: ctx.signal,
    onFile: (n) => ctx.progress({ phase: 'scanning', done: n, total: null, message: `${n} files found` }),
  });
  const files = walk.files;
  const useCache = req.useStatCache !== false;
  const cache = new StatCache(db);
  const release = takeLease(db);
  try {
    const cached = useCache ? cache.lookupMany(files) : files.map(() => undefined);
    const digests: string[] = new Array(files.length);
    const fresh: { key: SourceFile; sha256: string }[] = [];
    let bytesDone = 0;
    let filesDone = 0;
    const report = () =>
      ctx.progress({
        phase: 'storing',
        done: bytesDone,
        total: walk.bytes,
        message: `${filesDone} of ${files.length} files`,
      });

    const committed = db.prepare('SELECT 1 FROM blobs WHERE sha256 = ?').pluck();
    let next = 0;
    let lastYield = Date.now();
    const worker = async () => {
      while (next < files.length) {
        if (ctx.signal.aborted) throw cancelled();
        // Small files are stored synchronously; give the event loop a turn every few ms.
        if (Date.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
        const i = next++;
        if (i >= files.length) break;
        const file = files[i]!;
        const hit = cached[i];
        // A committed blob is never collected, so it needs no touch; an uncommitted one (left by
        // a killed add) is touched so a concurrent gc keeps it until this add commits.
        if (hit && (committed.get(hit) !== undefined ? objects.hasSync(hit) : await objects.touch(hit))) {
          digests[i] = hit;
          bytesDone += file.size;
        } else {
          const blob = await objects.putFile(
            file.absPath,
            { size: file.size, mtimeNs: file.mtimeNs },
            {
              signal: ctx.signal,
              onBytes: (n) => {
                bytesDone += n;
                report();
              },
            },
          );
          digests[i] = blob.sha256;
          fresh.push({ key: file, sha256: blob.sha256 });
        }
        filesDone++;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, files.length) }, worker));
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
    const outcome = repo.commitVersion({ name: req.name, message: req.message, digest, entries });
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
