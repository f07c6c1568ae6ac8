/**
 * Watches the files and folders a dataset's latest version was added from, so that adding them
 * again unchanged is answered without listing and stat'ing every file (what git's fsmonitor does
 * for `git status`). It runs in the source-watch process (electron/cli/sourceWatchProcess.ts),
 * which a large add starts; nothing depends on it: a set it cannot vouch for is added as always.
 *
 * A set of inputs is vouched for ("clean") only when all of these hold:
 * - every folder under its inputs and every file in them has an inotify watch, each folder's
 *   watch put in place before the folder was listed, and all of them before a full walk found the
 *   very files that made the dataset's latest version (the sources digest an add compares);
 * - no watch has reported anything since. Any event makes the set dirty for good: a write, a
 *   create, a delete, a rename, a chmod or touch, a new hard link (a file's own watch sees what is
 *   done through any of its names);
 * - when asked: each input still names the same folder or file (device and inode: a folder renamed
 *   away and another put in its place), a file input still has its size, mtime and mode, no mount
 *   appeared under the inputs, and the dataset's latest version is still the one those sources made;
 * - a periodic walk (`verify`) still finds the same sources: inotify reports nothing for a write
 *   through a memory mapping, so such a write is seen about VERIFY_MS later (a stat-based add sees
 *   it at once).
 * Refused outright (added as always): folders holding symbolic links (what a link leads to, through
 * other folders, is not watched), other file systems mounted inside, file systems that do not
 * report every change (network, FUSE, overlay), more watches than the budget, and anything but Linux.
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

type SourceSetState = 'checking' | 'clean' | 'dirty';

export interface SourceWatchStatus {
  dataset: string;
  paths: string[];
  state: SourceSetState;
  why?: string;
}

/** How often a clean set is walked again, for the changes inotify does not report. */
export const VERIFY_MS = 30_000;

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

/** The watches this process may hold: a quarter of the user's inotify budget, other tools need theirs. */
function watchBudget(): number {
  try {
    const max = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
    return Math.min(65_536, Math.floor(max / 4));
  } catch {
    return 2048;
  }
}

interface Identity {
  path: string;
  dev: bigint;
  ino: bigint;
  /** For a file input: what its content and mode were. */
  file?: { size: bigint; mtimeNs: bigint; mode: bigint };
}

interface Watched {
  set: SourceSet;
  state: SourceSetState;
  why?: string;
  watchers: fs.FSWatcher[];
  identities: Identity[];
  /** The inputs' folders, resolved, and the mount table's lines for mount points under them. */
  roots: string[];
  mounts: string;
  sources?: string;
  warnings: string[];
  verifiedAt: number;
}

function sourceSetKey(set: SourceSet): string {
  return JSON.stringify([set.dataset, set.paths]);
}

export class SourceWatch {
  private readonly sets = new Map<string, Watched>();
  /** Checks under way, by set. */
  private readonly checks = new Map<string, Promise<SourceWatchStatus>>();
  private readonly budget = watchBudget();
  private watches = 0;
  private closed = false;

  /**
   * `recheck` is given the sets that were made dirty without a change of their own (see
   * `distrustOthers`), to be checked again (by default, at once).
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
    if (this.closed) return Promise.resolve({ ...set, state: 'dirty', why: 'the watch is closed' });
    const key = sourceSetKey(set);
    const known = this.sets.get(key);
    if (known && known.state !== 'dirty') return this.checks.get(key) ?? Promise.resolve(status(known));
    const check = this.check(set);
    this.checks.set(key, check);
    return check.finally(() => {
      if (this.checks.get(key) === check) this.checks.delete(key);
    });
  }

  /** Resolves when the set's check under way (if any) has ended, or after `ms`. */
  async checked(set: SourceSet, ms: number): Promise<void> {
    const check = this.checks.get(sourceSetKey(set));
    if (!check) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([check, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * The add's result when the set is clean: the dataset's latest version, unchanged. Undefined
   * when the set is not vouched for (the caller adds as always).
   */
  answer(set: SourceSet, folders: number[] = []): AddResult | undefined {
    const w = this.sets.get(sourceSetKey(set));
    if (w?.state !== 'clean' || !w.sources) return undefined;
    // Inputs typed with a trailing slash must be folders (the add's stat refuses a file so named).
    if (folders.some((i) => w.identities[i]?.file !== undefined)) return undefined;
    for (const id of w.identities) {
      if (!sameIdentity(id)) {
        this.drop(w, `${id.path} changed`);
        return undefined;
      }
    }
    if (mountsUnder(w.roots) !== w.mounts) {
      this.drop(w, 'a file system was mounted or unmounted under it');
      return undefined;
    }
    const latest = this.repo.latestFromSources(set.dataset, w.sources);
    if (!latest) {
      this.drop(w, `${set.dataset} has a newer version`);
      return undefined;
    }
    const { dataset, version, digest, files, bytes } = latest;
    return { dataset, version, created: false, digest, files, bytes, newBytes: 0, warnings: w.warnings };
  }

  /** Walks every clean set not walked for VERIFY_MS again; a set whose sources differ is dropped. */
  async verify(now = Date.now()): Promise<void> {
    for (const w of [...this.sets.values()]) {
      if (w.state !== 'clean' || now - w.verifiedAt < VERIFY_MS) continue;
      const started = Date.now();
      let sources: string | undefined;
      try {
        sources = sourcesDigest((await walkSources(w.set.paths)).files);
      } catch {
        sources = undefined;
      }
      if (dropped(w)) continue;
      if (sources !== w.sources) this.drop(w, 'a change no watch reported (found by the periodic walk)');
      else w.verifiedAt = started;
    }
  }

  status(): SourceWatchStatus[] {
    return [...this.sets.values()].map(status);
  }

  /** How many watches are open. */
  get watching(): number {
    return this.watches;
  }

  /** Whether any set is still being checked or vouched for. */
  get active(): boolean {
    return [...this.sets.values()].some((w) => w.state !== 'dirty');
  }

  /** Closes every watch; checks under way end dirty, and nothing is watched or checked again. */
  close(): void {
    this.closed = true;
    for (const w of this.sets.values()) {
      w.state = 'dirty';
      w.why = 'the watch is closed';
      this.closeWatchers(w);
    }
  }

  private async check(set: SourceSet): Promise<SourceWatchStatus> {
    const w: Watched = {
      set,
      state: 'checking',
      watchers: [],
      identities: [],
      roots: [],
      mounts: '',
      warnings: [],
      verifiedAt: 0,
    };
    this.sets.set(sourceSetKey(set), w);
    try {
      const refused = await this.watchAll(w);
      if (refused) return this.drop(w, refused);
      if (dropped(w)) return status(w);
      // Every watch is in place: from here on, a change is either found by the walk or reported.
      const walk = await walkSources(set.paths);
      if (dropped(w)) return status(w);
      const sources = sourcesDigest(walk.files);
      if (!this.repo.latestFromSources(set.dataset, sources)) {
        return this.drop(w, `these files did not make the latest version of ${set.dataset}`);
      }
      w.sources = sources;
      w.warnings = walk.warnings;
      w.verifiedAt = Date.now();
      w.state = 'clean';
      return status(w);
    } catch (err) {
      return this.drop(w, `cannot watch: ${(err as Error).message}`);
    }
  }

  /**
   * Watches every folder and file under the set's inputs, each folder before it is listed (so a
   * folder moved in or out meanwhile is reported by its parent's watch). Returns why not when it
   * cannot vouch for the set.
   */
  private async watchAll(w: Watched): Promise<string | undefined> {
    if (process.platform !== 'linux') return 'folders are watched on Linux only';
    const roots: { root: string; dev: bigint }[] = [];
    const files: string[] = [];
    for (const input of w.set.paths) {
      const st = fs.statSync(input, { bigint: true });
      const type = Number(fs.statfsSync(input).type);
      if (!LOCAL_FILE_SYSTEMS.has(type))
        return `${input} is on a file system that does not report every change (type 0x${type.toString(16)})`;
      w.identities.push({
        path: input,
        dev: st.dev,
        ino: st.ino,
        ...(st.isDirectory() ? {} : { file: { size: st.size, mtimeNs: st.mtimeNs, mode: st.mode } }),
      });
      if (st.isDirectory()) roots.push({ root: fs.realpathSync(input), dev: st.dev });
      else files.push(input);
    }
    w.roots = roots.map((r) => r.root);
    w.mounts = mountsUnder(w.roots);
    if (w.mounts) return 'a file system is mounted under it';
    for (const file of files) this.watchOne(w, file);
    let sinceYield = 0;
    for (const { root, dev } of roots) {
      const folders = [root];
      for (let i = 0; i < folders.length; i++) {
        const dir = folders[i]!;
        this.watchOne(w, dir);
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          if (dropped(w)) return undefined;
          const p = path.join(dir, e.name);
          if (e.isSymbolicLink()) return `${p} is a symbolic link`;
          if (e.isDirectory()) {
            if (fs.statSync(p, { bigint: true }).dev !== dev)
              return `${p} is another file system's mount point`;
            folders.push(p);
          } else if (e.isFile()) {
            this.watchOne(w, p);
          }
          if (this.watches > this.budget) return `more than ${this.budget} files and folders to watch`;
          // A large tree: the process answers meanwhile (a watch costs a few microseconds).
          if (++sinceYield === 2000) {
            sinceYield = 0;
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      }
    }
    return undefined;
  }

  /** Watches one file or folder for w, unless w was dropped meanwhile (nothing would close it). */
  private watchOne(w: Watched, p: string): void {
    if (dropped(w)) return;
    const watcher = fs.watch(p, { persistent: false }, () => this.drop(w, `a change in ${p}`));
    watcher.on('error', (err) => this.drop(w, `the watch of ${p} failed: ${err.message}`));
    w.watchers.push(watcher);
    this.watches++;
  }

  private drop(w: Watched, why: string): SourceWatchStatus {
    if (w.state !== 'dirty') {
      w.state = 'dirty';
      w.why = why;
    }
    if (this.closeWatchers(w)) this.distrustOthers(w, why);
    return status(w);
  }

  /**
   * All watches share one inotify queue. When it overflows (a flood of events, in any set), Node
   * does not say so and later events are lost; and closing a set's watches discards the events
   * still queued for them, which may be the only trace of an overflow. So whenever watches are
   * closed, no other set is trusted until it is checked again (fresh watches, a fresh walk).
   */
  private distrustOthers(w: Watched, cause: string): void {
    if (this.closed) return;
    for (const other of this.sets.values()) {
      if (other === w || other.state === 'dirty') continue;
      other.state = 'dirty';
      other.why = `checked again after another set's watches closed (${cause})`;
      this.closeWatchers(other);
      this.recheck(other.set);
    }
  }

  /** Closes w's watches; whether it had any. */
  private closeWatchers(w: Watched): boolean {
    const had = w.watchers.length > 0;
    for (const watcher of w.watchers.splice(0)) {
      watcher.close();
      this.watches--;
    }
    return had;
  }
}

/** Whether a change was reported while the set was being checked (a function: the state changes under an await). */
function dropped(w: Watched): boolean {
  return w.state === 'dirty';
}

function status(w: Watched): SourceWatchStatus {
  return { dataset: w.set.dataset, paths: w.set.paths, state: w.state, ...(w.why ? { why: w.why } : {}) };
}

function sameIdentity(id: Identity): boolean {
  let st: fs.BigIntStats | undefined;
  try {
    st = fs.statSync(id.path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return false;
  }
  if (!st || st.dev !== id.dev || st.ino !== id.ino) return false;
  const f = id.file;
  return !f || (st.size === f.size && st.mtimeNs === f.mtimeNs && st.mode === f.mode);
}

/**
 * The lines of /proc/self/mountinfo whose mount point lies under one of `folders` (its fifth field,
 * with the kernel's octal escapes), in order: a mount made there later changes what the folder holds
 * without an event.
 */
function mountsUnder(folders: string[]): string {
  if (folders.length === 0) return '';
  let table: string;
  try {
    table = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
  const prefixes = folders.map((p) => `${escapeMountPath(p)}/`);
  return table
    .split('\n')
    .filter((line) => {
      const point = line.split(' ')[4];
      return point !== undefined && prefixes.some((p) => point.startsWith(p));
    })
    .join('\n');
}

function escapeMountPath(p: string): string {
  return p.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}
