/**
 * Whole-process ingest timing against `cp -r` + `sync`, for the dataset benchmark and the CLI
 * benchmarks. Both sides pay for what a store must do — read the files and get the copy onto the
 * disk — so each timing ends when `sync` returns, and each starts from the same page-cache state:
 * warm (the source read just before) or cold (the page cache dropped; needs root).
 *
 * Nothing is deleted between timed steps: on ext4, inodes freed in the last minute are skipped
 * when new files are made (see `recently_deleted` in fs/ext4/ialloc.c), so whichever side runs
 * right after a large `rm -r` pays for it. Outputs go to fresh folders and are removed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type PageCache = 'warm' | 'cold';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The `mlwb` entry point of this checkout. */
export const mlwbBin = path.join(repoRoot, 'bin', 'mlwb.js');

export const syncDisks = () => execFileSync('sync');

/** Drops the page cache so reads come from disk; false when not permitted (not root). */
export function dropPageCache(): boolean {
  try {
    syncDisks();
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Reads every file under `dir` once, so the next reader finds them in the page cache. */
export function warmPageCache(dir: string): void {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = fs.openSync(path.join(entry.parentPath, entry.name), 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Flushes what is dirty, then leaves `src` warm or cold. Returns false when a cold cache was asked
 * for and could not be had.
 */
export function preparePageCache(src: string, cache: PageCache): boolean {
  syncDisks();
  if (cache === 'cold') return dropPageCache();
  warmPageCache(src);
  return true;
}

/** Milliseconds from starting `command` to `sync` returning after it; throws when it fails. */
export function timeUntilSynced(command: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  syncDisks();
  return performance.now() - t0;
}

/** `cp -r SRC DST` until synced, in ms. */
export const timeCpSync = (src: string, dst: string) => timeUntilSynced('cp', ['-r', src, dst]);

/**
 * `mlwb --home HOME dataset add NAME SRC` as a whole process until synced, in ms. Then, untimed,
 * waits for the source-watch process the add started to check the folder and stops it, so that
 * neither its check nor its periodic walks overlap (or warm the caches of) what is measured next.
 */
export function timeCliAddSync(home: string, name: string, src: string): number {
  const from = watchLogSize(home);
  const ms = timeUntilSynced(process.execPath, [
    mlwbBin,
    '--home',
    home,
    'dataset',
    'add',
    name,
    src,
    '--json',
  ]);
  awaitSourceWatch(home, from);
  stopSourceWatch(home);
  return ms;
}

const watchLog = (home: string) => path.join(home, 'source-watch.log');
const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The size of the home's source-watch log (0 when there is none): pass it to awaitSourceWatch. */
export function watchLogSize(home: string): number {
  return fs.statSync(watchLog(home), { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Waits until the home's source-watch process (electron/cli/sourceWatchProcess.ts) has reported
 * on a set in its log after its first `from` bytes; returns the milliseconds waited, or undefined
 * when no add started one.
 */
export function awaitSourceWatch(home: string, from = 0, timeoutMs = 60_000): number | undefined {
  const t0 = performance.now();
  if (!fs.existsSync(watchLog(home))) return undefined;
  for (;;) {
    const log = fs.readFileSync(watchLog(home));
    // A log past 1 MiB is started again by the next watch process: then all of it is new.
    const since = log.length < from ? log : log.subarray(from);
    if (/: (clean|dirty)/.test(since.toString('utf8'))) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`the source watch in ${home} did not report`);
    pause(10);
  }
}

/**
 * Stops the home's source-watch process, if one runs, and waits for it to end. The pid comes from
 * its log, and is signalled only while /proc says it is that home's watch process (not a pid
 * reused since, nor a zombie).
 */
export function stopSourceWatch(home: string): void {
  if (!fs.existsSync(watchLog(home))) return;
  const started = [...fs.readFileSync(watchLog(home), 'utf8').matchAll(/\(process (\d+)\)/g)];
  const pid = Number(started.at(-1)?.[1]);
  if (!pid) return;
  const running = () => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('__watch-sources') && argv.includes(home);
    } catch {
      return false;
    }
  };
  if (!running()) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; running() && waited < 10_000; waited += 10) pause(10);
  if (running()) throw new Error(`the source watch in ${home} (process ${pid}) did not stop`);
}

/** A whole process without a sync after it (a re-add writes nothing), in ms. */
export function timeCliAdd(
  home: string,
  name: string,
  src: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [mlwbBin, '--home', home, 'dataset', 'add', name, src, '--json'], {
    encoding: 'utf8',
    env,
  });
  if (r.status !== 0) throw new Error(`mlwb dataset add failed: ${r.stderr}`);
  return performance.now() - t0;
}

/**
 * A freshly made ext4 filesystem (a sparse image on a direct-I/O loop device, so its writes reach
 * the disk once, as a partition's would), for a timing that must not depend on what the system
 * disk's allocator went through lately: on ext4, every file created looks past the inodes freed in
 * the last ~30 s (`recently_deleted` in fs/ext4/ialloc.c), and after a test suite has removed
 * hundreds of thousands of files that lookup is most of a `cp -r` of small files (measured here
 * with perf: 60 % of its time, 8–13 s for 16,000 files where a clean filesystem takes 0.3 s). Needs
 * root, mkfs.ext4 and losetup; undefined where they are missing.
 */
export function freshExt4(
  scratch: string,
  label: string,
  gib = 3,
): { dir: string; dispose(): void } | { unavailable: string } {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { unavailable: 'needs root on Linux' };
  const image = path.join(scratch, `${label}.ext4`);
  const dir = path.join(scratch, `${label}.mnt`);
  let mounted = false;
  const detach = () => {
    // Whatever loop device holds the image, even one a failed step left attached.
    const held = spawnSync('losetup', ['-j', image], { encoding: 'utf8' }).stdout ?? '';
    for (const line of held.split('\n')) {
      const device = line.split(':')[0];
      if (device) spawnSync('losetup', ['-d', device]);
    }
  };
  const dispose = () => {
    if (mounted && spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    detach();
    fs.rmSync(image, { force: true });
    // Only the empty mount point: never into a filesystem that is somehow still mounted.
    try {
      fs.rmdirSync(dir);
    } catch {
      // absent, or still a mount point (left for the caller's cleanup to report)
    }
  };
  try {
    fs.writeFileSync(image, '');
    fs.truncateSync(image, gib * 2 ** 30);
    // Inode tables and journal written now, not by a kernel thread during the timing.
    execFileSync('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image], {
      stdio: 'ignore',
    });
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    execFileSync('losetup', ['--direct-io=on', loop], { stdio: 'ignore' });
    const dio = fs.readFileSync(`/sys/block/${path.basename(loop)}/loop/dio`, 'utf8').trim();
    if (dio !== '1') throw new Error(`${loop} would not do direct I/O on ${scratch}'s filesystem`);
    fs.mkdirSync(dir);
    execFileSync('mount', [loop, dir], { stdio: 'ignore' });
    mounted = true;
    return { dir, dispose };
  } catch (err) {
    dispose();
    return { unavailable: (err as Error).message.split('\n')[0]! };
  }
}

export interface IngestComparison {
  cache: PageCache;
  /** False when a cold cache was asked for but could not be had (then the rounds ran warm). */
  coldHonoured: boolean;
  cpMs: number[];
  addMs: number[];
  /** Best cp time / best add time: ≥ 1 means the add is at least as fast as cp -r + sync. */
  ratio: number;
  /** The home of the fastest add, kept for a re-add; the caller removes `scratch`. */
  home: string;
  /** Whether each side wrote to a filesystem of its own made for it (`fresh` and it could be had). */
  fresh: boolean;
  /** Why fresh filesystems were asked for and not had; then nothing was measured. */
  unavailable?: string;
}

/**
 * `rounds` alternating rounds of cp -r + sync and `add` + sync (the CLI by default), each from
 * the same page-cache state; best of the rounds for each side.
 */
export function compareIngestWithCp(opts: {
  src: string;
  scratch: string;
  cache: PageCache;
  rounds: number;
  add?: (home: string) => number;
  /**
   * Each side of each round writes to a freshly made ext4 (freshExt4), so neither pays for what
   * was deleted before it; the homes go with their filesystems (`home` is then empty).
   */
  fresh?: boolean;
}): IngestComparison {
  const add = opts.add ?? ((home: string) => timeCliAddSync(home, 'bench', opts.src));
  const run = fs.mkdtempSync(path.join(opts.scratch, `ingest-${opts.cache}-`));
  const cpMs: number[] = [];
  const addMs: number[] = [];
  let coldHonoured = true;
  const probe = opts.fresh ? freshExt4(run, 'probe', 1) : undefined;
  if (probe && 'unavailable' in probe) {
    // Asked for and not to be had: nothing is measured (the caller says why).
    fs.rmSync(run, { recursive: true, force: true });
    return {
      cache: opts.cache,
      coldHonoured,
      cpMs,
      addMs,
      ratio: Number.NaN,
      home: '',
      fresh: false,
      unavailable: probe.unavailable,
    };
  }
  probe?.dispose();
  const fresh = probe !== undefined;
  /**
   * One side of a round, from the page-cache state asked for: into a folder of `run`, or into the
   * root of a filesystem made for it (made before the cache is prepared, so its making leaves
   * nothing for the timing).
   */
  const timedInto = (label: string, time: (dir: string) => number): number => {
    if (!fresh) {
      coldHonoured = preparePageCache(opts.src, opts.cache) && coldHonoured;
      return time(path.join(run, label));
    }
    const own = freshExt4(run, label);
    if ('unavailable' in own) throw new Error(`Could not make a fresh ext4 for ${label}: ${own.unavailable}`);
    try {
      coldHonoured = preparePageCache(opts.src, opts.cache) && coldHonoured;
      return time(path.join(own.dir, 'out'));
    } finally {
      own.dispose();
    }
  };
  for (let round = 0; round < opts.rounds; round++) {
    cpMs.push(timedInto(`cp-${round}`, (dst) => timeCpSync(opts.src, dst)));
    addMs.push(timedInto(`home-${round}`, add));
  }
  const best = addMs.indexOf(Math.min(...addMs));
  return {
    cache: opts.cache,
    coldHonoured,
    cpMs,
    addMs,
    ratio: Math.min(...cpMs) / Math.min(...addMs),
    home: fresh ? '' : path.join(run, `home-${best}`),
    fresh,
  };
}
