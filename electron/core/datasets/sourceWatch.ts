/**
 * Watches the folders a dataset's latest version was added from, so that adding them again
 * unchanged is answered without listing and stat'ing every file (what git's fsmonitor does for
 * `git status`). It runs in the source-watch process (electron/cli/sourceWatchProcess.ts), which
 * a large add starts; nothing else depends on it: a set it cannot vouch for is added as always.
 *
 * A set of sources is vouched for ("clean") only when all of these hold:
 * - every folder under its folders is watched (inotify), and the watches were in place before a
 *   full walk found the very files that made the dataset's latest version (the same sources
 *   digest an add compares, so the same stat-level trust);
 * - no watch has reported anything since: any event in any watched folder (a write, a create, a
 *   delete, a rename, a chmod or touch) makes the set dirty for good;
 * - when asked, each input still names the same folder or file (device and inode, so a folder
 *   renamed away and another put in its place is seen), each file with other hard links (which can
 *   be written through a path no watch sees) still has its size, mtime and inode, and the
 *   dataset's latest version is still the one those sources made.
 * Only local file systems are watched (network and FUSE file systems do not report every change),
 * and only on Linux.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddResult } from '../../../shared/datasets.ts';
import type { DatasetRepo } from './datasetRepo.ts';
import { sourcesDigest } from './ingest.ts';
import { walkSources } from './sourceWalker.ts';

/** What an add was given: the dataset's name and its inputs as absolute paths, in order. */
export interface SourceSet {
  dataset: string;
  paths: string[];
}

export type SourceSetState = 'checking' | 'clean' | 'dirty';

/**
 * statfs magic numbers of the file systems whose every change reaches inotify. Not network or FUSE
 * ones (changes made elsewhere are not reported), nor overlayfs (changes to its layers are not).
 */
const LOCAL_FILE_SYSTEMS = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
]);

/** Past this many folders in one set, watching costs more than it saves. */
const MAX_FOLDERS = 4096;

interface Identity {
  path: string;
  dev: bigint;
  ino: bigint;
  size?: bigint;
  mtimeNs?: bigint;
}

interface Watched {
  set: SourceSet;
  state: SourceSetState;
  /** Why the set is dirty, for `status` (and tests). */
  why?: string;
  watchers: fs.FSWatcher[];
  /** Inputs and multiply linked files, checked by a stat each when asked. */
  identities: Identity[];
  sources?: string;
  warnings: string[];
}

export interface SourceWatchStatus {
  dataset: string;
  paths: string[];
  state: SourceSetState;
  why?: string;
}

export function sourceSetKey(set: SourceSet): string {
  return JSON.stringify([set.dataset, set.paths]);
}

export class SourceWatch {
  private readonly sets = new Map<string, Watched>();
  /** Checks under way, by set. */
  private readonly checks = new Map<string, Promise<SourceWatchStatus>>();

  /**
   * `recheck` is given the sets that an event in another set's folders made dirty, to be checked
   * again (by default, at once).
   */
  constructor(
    private readonly repo: DatasetRepo,
    private readonly recheck: (set: SourceSet) => void = (set) => void this.watch(set),
  ) {}

  /**
   * Starts watching a set (again, when it was dirty) and checks that it made the dataset's latest
   * version. Resolves with the state it reached.
   */
  watch(set: SourceSet): Promise<SourceWatchStatus> {
    const key = sourceSetKey(set);
    const known = this.sets.get(key);
    if (known && known.state !== 'dirty') return this.checks.get(key) ?? Promise.resolve(status(known));
    const check = this.check(set);
    this.checks.set(key, check);
    return check.finally(() => this.checks.delete(key));
  }

  /** Resolves when the set's check under way (if any) has ended, or after `ms`. */
  async checked(set: SourceSet, ms: number): Promise<void> {
    const check = this.checks.get(sourceSetKey(set));
    if (!check) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([check, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private async check(set: SourceSet): Promise<SourceWatchStatus> {
    const key = sourceSetKey(set);
    const w: Watched = { set, state: 'checking', watchers: [], identities: [], warnings: [] };
    this.sets.set(key, w);
    try {
      const refused = this.watchFolders(w);
      if (refused) return this.drop(w, refused);
      // The watches are in place: from here on, a change is either seen by the walk or reported.
      const walk = await walkSources(set.paths);
      if (dropped(w)) return status(w);
      const sources = sourcesDigest(walk.files);
      if (!this.repo.latestFromSources(set.dataset, sources)) {
        return this.drop(w, `these files did not make the latest version of ${set.dataset}`);
      }
      for (const f of walk.files) {
        const st = fs.statSync(f.absPath, { bigint: true });
        if (st.nlink > 1n) w.identities.push(identity(f.absPath, st, true));
      }
      if (dropped(w)) return status(w);
      w.sources = sources;
      w.warnings = walk.warnings;
      w.state = 'clean';
      return status(w);
    } catch (err) {
      return this.drop(w, `cannot watch: ${(err as Error).message}`);
    }
  }

  /**
   * The add's result when the set is clean: the dataset's latest version, unchanged. Undefined
   * when the set is not vouched for (the caller adds as always).
   */
  answer(set: SourceSet): AddResult | undefined {
    const w = this.sets.get(sourceSetKey(set));
    if (w?.state !== 'clean' || !w.sources) return undefined;
    for (const id of w.identities) {
      let st: fs.BigIntStats | undefined;
      try {
        st = fs.statSync(id.path, { bigint: true, throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
      if (!st || !sameIdentity(id, st)) {
        this.drop(w, `${id.path} changed`);
        return undefined;
      }
    }
    const latest = this.repo.latestFromSources(set.dataset, w.sources);
    if (!latest) {
      this.drop(w, `${set.dataset} has a newer version`);
      return undefined;
    }
    const { dataset, version, digest, files, bytes } = latest;
    return { dataset, version, created: false, digest, files, bytes, newBytes: 0, warnings: w.warnings };
  }

  status(): SourceWatchStatus[] {
    return [...this.sets.values()].map(status);
  }

  /** Whether any set is still being checked or vouched for. */
  get active(): boolean {
    return [...this.sets.values()].some((w) => w.state !== 'dirty');
  }

  close(): void {
    for (const w of this.sets.values()) closeWatchers(w);
    this.sets.clear();
  }

  /** Watches every folder under the set's folders; returns why not when it cannot. */
  private watchFolders(w: Watched): string | undefined {
    if (process.platform !== 'linux') return 'folders are watched on Linux only';
    const folders: string[] = [];
    for (const input of w.set.paths) {
      const st = fs.statSync(input, { bigint: true });
      if (!st.isDirectory()) {
        w.identities.push(identity(input, st, true));
        continue;
      }
      w.identities.push(identity(input, st, false));
      const root = fs.realpathSync(input);
      const type = Number(fs.statfsSync(root).type);
      if (!LOCAL_FILE_SYSTEMS.has(type))
        return `${input} is on a file system that does not report every change (type 0x${type.toString(16)})`;
      for (const dir of foldersUnder(root)) {
        folders.push(dir);
        if (folders.length > MAX_FOLDERS) return `more than ${MAX_FOLDERS} folders`;
      }
    }
    for (const dir of folders) {
      const watcher = fs.watch(dir, { persistent: false }, () => this.changed(w, dir));
      watcher.on('error', (err) => this.changed(w, dir, err));
      w.watchers.push(watcher);
    }
    return undefined;
  }

  /**
   * An event in one of w's folders. Every other set is made dirty too and checked again: all
   * watches share one inotify queue, and when it overflows (a flood of events, in any set) Node
   * does not say so, and later events are lost. The events before the overflow are delivered, so
   * one of them reaches here; from then on, no set is trusted until a new check.
   */
  private changed(w: Watched, dir: string, err?: Error): void {
    if (w.state === 'dirty') return;
    this.drop(w, err ? `the watch of ${dir} failed: ${err.message}` : `a change in ${dir}`);
    for (const other of this.sets.values()) {
      if (other.state === 'dirty') continue;
      this.drop(other, `checked again after a change in another watched folder (${dir})`);
      this.recheck(other.set);
    }
  }

  private drop(w: Watched, why: string): SourceWatchStatus {
    if (w.state !== 'dirty') {
      w.state = 'dirty';
      w.why = why;
      closeWatchers(w);
    }
    return status(w);
  }
}

/** Whether a change was reported while the set was being checked (a function: the state changes under an await). */
function dropped(w: Watched): boolean {
  return w.state === 'dirty';
}

function status(w: Watched): SourceWatchStatus {
  return { dataset: w.set.dataset, paths: w.set.paths, state: w.state, ...(w.why ? { why: w.why } : {}) };
}

function closeWatchers(w: Watched): void {
  for (const watcher of w.watchers.splice(0)) watcher.close();
}

/** The folder and every folder under it (not through symbolic links: their targets inside it are walked as folders). */
function foldersUnder(root: string): string[] {
  const out = [root];
  for (let i = 0; i < out.length && out.length <= MAX_FOLDERS + 1; i++) {
    for (const e of fs.readdirSync(out[i]!, { withFileTypes: true })) {
      if (e.isDirectory()) out.push(path.join(out[i]!, e.name));
    }
  }
  return out;
}

function identity(p: string, st: fs.BigIntStats, content: boolean): Identity {
  return content
    ? { path: p, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs }
    : { path: p, dev: st.dev, ino: st.ino };
}

function sameIdentity(id: Identity, st: fs.BigIntStats): boolean {
  if (st.dev !== id.dev || st.ino !== id.ino) return false;
  return id.size === undefined || (st.size === id.size && st.mtimeNs === id.mtimeNs);
}
