/**
 * Adding a version: list the sources, store each file's content once (one read pass that hashes
 * and copies, on the store workers), and commit the manifest in one transaction. Files never added
 * before are stored while the walk goes on; files added before are listed first, so an unchanged
 * set is recognised from one stat each and only what the stat cache cannot vouch for is read.
 * Until the commit nothing is visible; a cancelled or killed add leaves only unreferenced blobs
 * for gc.
 */
import { createHash } from 'node:crypto';
import type { AddResult, ManifestEntry, VersionSummary } from '../../../shared/datasets.ts';
import { cancelled } from '../errors.ts';
import type { StoreWorkers } from '../objects/storeWorkers.ts';
import { takeLease } from '../objects/writeLease.ts';
import type { OpContext } from '../ops/operations.ts';
import type { Db } from '../store/database.ts';
import type { DatasetRepo } from './datasetRepo.ts';
import { manifestDigest } from './manifest.ts';
import { type SourceFile, type WalkResult, walkSources } from './sourceWalker.ts';
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
  workers: StoreWorkers;
  repo: DatasetRepo;
}

export async function ingest(deps: IngestDeps, req: IngestRequest, ctx: OpContext): Promise<IngestResult> {
  const { db, repo } = deps;
  const useCache = req.useStatCache !== false;
  const cache = new StatCache(db);
  // Files never added before (the stat cache knows nothing under these paths) are stored as they
  // are listed, so the store does not wait for the walk; others are listed first, to be looked up.
  if (!useCache || !cache.knowsAnyUnder(req.paths)) {
    const release = takeLease(db);
    let listing: Listing | undefined;
    try {
      listing = await storeWhileListing(deps, req.paths, ctx);
      const { walk } = listing;
      const sources = useCache ? sourcesDigest(walk.files) : undefined;
      // The stat cache may have been cleared: the version's record of its sources still knows.
      const same = sources && repo.latestFromSources(req.name, sources);
      if (same) return unchanged(same, walk, ctx);
      const digests = await listing.stored();
      // The final flush starts (a turn of the event loop lets it reach the disk's queue), and the
      // stat cache and the manifest are written while it waits. The stat cache only says what a
      // file hashed to: a digest whose blob is not committed is read again (storeChanged).
      const durable = listing.durable();
      durable.catch(() => {});
      await new Promise((resolve) => setImmediate(resolve));
      const remembered = useCache ? walk.files.map((key, i) => ({ key, sha256: digests[i]! })) : [];
      rememberQuietly(cache, remembered);
      try {
        const manifest = manifestOf(walk, digests);
        await durable;
        return commit(deps, req, walk, manifest, sources, ctx);
      } catch (err) {
        // Cancelled or failed in the end: a retry is a first add again, storing as it lists.
        try {
          cache.forgetMany(remembered);
        } catch {
          // only a cache: its digests of uncommitted blobs are read again (storeChanged)
        }
        throw err;
      }
    } finally {
      // A store not needed (unchanged) or left by a failure stops before the lease goes.
      await listing?.stop();
      release();
    }
  }

  ctx.progress({ phase: 'scanning', done: 0, total: null, message: 'Listing files' });
  let found = 0;
  const walk = await walkSources(req.paths, {
    signal: ctx.signal,
    onListed: (files) => {
      found += files.length;
      ctx.progress({ phase: 'scanning', done: found, total: null, message: `${found} files found` });
    },
  });
  const files = walk.files;
  // The same files, unchanged since they made the latest version: that version, from one stat of
  // each file (the stat cache's trust, without a lookup per file or a new manifest).
  const sources = sourcesDigest(files);
  const same = repo.latestFromSources(req.name, sources);
  if (same) return unchanged(same, walk, ctx);
  const release = takeLease(db);
  try {
    const { digests, fresh } = await storeChanged(deps, cache, walk, ctx);
    const outcome = commit(deps, req, walk, manifestOf(walk, digests), sources, ctx);
    rememberQuietly(cache, fresh);
    return outcome;
  } finally {
    release();
  }
}

/** The latest version, which these very files made: no new version. */
function unchanged(same: VersionSummary, walk: WalkResult, ctx: OpContext): IngestResult {
  ctx.progress({ phase: 'committing', done: walk.bytes, total: walk.bytes, message: 'Unchanged' });
  const { dataset, version, digest, files, bytes } = same;
  return { dataset, version, created: false, digest, files, bytes, newBytes: 0, warnings: walk.warnings };
}

interface Listing {
  walk: WalkResult;
  /** Every file's digest, in the walk's (manifest) order, once all are stored. */
  stored(): Promise<string[]>;
  /** Once the blobs stored are durable too (so records naming them may be committed). */
  durable(): Promise<void>;
  /**
   * Stops the store, once its workers have stopped (nothing to stop once `durable` has answered),
   * and stops following the add's cancellation. Always called last.
   */
  stop(): Promise<void>;
}

/**
 * Lists the sources and stores each folder's files as soon as it is read, on the store workers;
 * resolves when the walk ends, with the store still going on.
 */
async function storeWhileListing({ workers }: IngestDeps, paths: string[], ctx: OpContext): Promise<Listing> {
  let listed = 0;
  let total: number | null = null;
  const count = tally(() =>
    total === null
      ? ctx.progress({
          phase: 'scanning',
          done: listed,
          total: null,
          message: `${listed} files found, ${count.files} stored`,
        })
      : ctx.progress({
          phase: 'storing',
          done: count.bytes,
          total,
          message: `${count.files} of ${listed} files`,
        }),
  );
  ctx.progress({ phase: 'scanning', done: 0, total: null, message: 'Listing files' });
  workers.warmUp();
  // Stops the store when the add is cancelled, and when the walk fails or the store is not needed.
  const halt = new AbortController();
  const store = workers.stream({ signal: halt.signal, onBytes: count.addBytes, onFiles: count.addFiles });
  const onCancel = () => halt.abort();
  ctx.signal.addEventListener('abort', onCancel);
  if (ctx.signal.aborted) halt.abort();
  const stop = async () => {
    halt.abort();
    await store.end().catch(() => {});
    ctx.signal.removeEventListener('abort', onCancel);
  };
  const position = new Map<SourceFile, number>();
  let walk: WalkResult;
  try {
    walk = await walkSources(paths, {
      signal: ctx.signal,
      onListed: (files) => {
        for (const f of files) position.set(f, position.size);
        store.add(files);
        listed += files.length;
        count.report();
      },
    });
    total = walk.bytes;
    count.report();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    walk,
    stop,
    stored: async () => {
      const stored = await store.stored();
      return walk.files.map((f) => stored[position.get(f)!]!);
    },
    durable: async () => {
      await store.end();
    },
  };
}

/**
 * Stores the listed files the stat cache cannot vouch for. A cached digest is taken as is when its
 * blob is committed (registered); otherwise the file is read again: its blob may be gone, or be
 * what a power cut left at its name, and the store checks a blob it finds (StoreWorkers.checkFound).
 */
async function storeChanged(
  { workers }: IngestDeps,
  cache: StatCache,
  walk: WalkResult,
  ctx: OpContext,
): Promise<{ digests: string[]; fresh: { key: SourceFile; sha256: string }[] }> {
  const files = walk.files;
  const cached = cache.lookupMany(files);
  const digests: string[] = new Array(files.length);
  const misses: number[] = [];
  const count = tally(() =>
    ctx.progress({
      phase: 'storing',
      done: count.bytes,
      total: walk.bytes,
      message: `${count.files} of ${files.length} files`,
    }),
  );

  for (const [i, file] of files.entries()) {
    const hit = cached[i];
    if (hit?.committed) {
      digests[i] = hit.sha256;
      count.bytes += file.size;
      count.files++;
    } else {
      misses.push(i);
    }
  }
  count.report();
  if (ctx.signal.aborted) throw cancelled();

  const stored = await workers.store(
    misses.map((i) => files[i]!),
    { signal: ctx.signal, onBytes: count.addBytes, onFiles: count.addFiles },
  );
  const fresh = misses.map((i, k) => {
    digests[i] = stored[k]!;
    return { key: files[i]!, sha256: stored[k]! };
  });
  return { digests, fresh };
}

/** Bytes and files stored so far, reported after each count the store workers send. */
function tally(report: () => void) {
  const t = {
    bytes: 0,
    files: 0,
    report,
    addBytes: (n: number) => {
      t.bytes += n;
      report();
    },
    addFiles: (n: number) => {
      t.files += n;
      report();
    },
  };
  return t;
}

/**
 * Records files' digests in the stat cache; a failure (the database busy or full) only means the
 * next add reads them again, so it does not fail the add (nor one already committed).
 */
function rememberQuietly(cache: StatCache, items: Parameters<StatCache['rememberMany']>[0]): void {
  try {
    cache.rememberMany(items);
  } catch {
    // only a cache
  }
}

interface Manifest {
  entries: ManifestEntry[];
  digest: string;
}

function manifestOf(walk: WalkResult, digests: string[]): Manifest {
  const entries: ManifestEntry[] = walk.files.map((f, i) => ({
    path: f.relPath,
    size: f.size,
    sha256: digests[i]!,
    mode: f.mode,
  }));
  return { entries, digest: manifestDigest(entries) };
}

/** Records the version (or finds the latest already has this content) in one transaction. */
function commit(
  { repo }: IngestDeps,
  req: IngestRequest,
  walk: WalkResult,
  { entries, digest }: Manifest,
  sources: string | undefined,
  ctx: OpContext,
): IngestResult {
  if (ctx.signal.aborted) throw cancelled();
  ctx.progress({
    phase: 'committing',
    done: walk.bytes,
    total: walk.bytes,
    message: 'Recording the version',
  });
  const outcome = repo.commitVersion({ name: req.name, message: req.message, digest, entries, sources });
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
