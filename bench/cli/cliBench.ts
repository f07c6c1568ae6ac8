/**
 * The CLI as a user runs it: every figure is a whole `node bin/mlwb.js …` process, timed from
 * spawn to exit, beside its baseline measured in the same run (machines here are noisy, so a
 * figure is a ratio):
 *   - start-up: `mlwb --help` ≤ 3× and `mlwb dataset list --json` ≤ 5× `node -e 0`
 *     (`npx mlwb --help` is reported too);
 *   - ingest of the 1 GiB bench folder (8 × 100 MiB + 16,000 files of 1–20 KB) until `sync`
 *     returns, ≥ 0.8× the speed of `cp -r` + `sync`, with a warm and with a cold page cache;
 *   - the re-add of the unchanged folder ≥ 20× faster than its first add, with the source watch
 *     the first add left running; and without it (MLWB_WATCH=0) beside a bare node process that
 *     only lists and stats the files;
 *   - `mlwb drift` on two 1,000,000 × 20 CSVs: < 5 s, and ≥ 3× faster than pandas + SciPy.
 * Run: npm run bench -- cli   (scratch data goes to $MLWB_BENCH_DIR or the OS temp folder)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from '../datasets/datasetBench.ts';
import { writeIngestFolder, writeSmallFiles } from '../datasets/fixtures.ts';
import {
  awaitSourceWatch,
  compareIngestWithCp,
  dropPageCache,
  stopSourceWatch,
  syncDisks,
  timeUntilSynced,
  warmPageCache,
} from '../datasets/ingestTiming.ts';
import { writeBenchCsvs } from '../drift/benchData.ts';
import { median } from '../standalone.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(root, 'bin', 'mlwb.js');
const DEBIAN_PYTHON = '/usr/bin/python3';
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Milliseconds from spawn to exit of a whole command; throws when it fails unexpectedly. */
function timeProcess(cmd: string, args: string[], okCodes = [0], cwd = root, env = process.env): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - t;
  if (!okCodes.includes(r.status ?? -1))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const mlwb = (...args: string[]) => [BIN, ...args];
/** `node -e STAT_ONLY DIR`: lists DIR and stats every file in it, as a re-add must at least. */
const STAT_ONLY = `const fs = require('node:fs'), path = require('node:path');
for (const e of fs.readdirSync(process.argv[1], { recursive: true, withFileTypes: true }))
  if (e.isFile()) fs.statSync(path.join(e.parentPath, e.name), { bigint: true });`;
const best = (xs: number[]) => Math.min(...xs);
const timedSync = () => {
  const t = performance.now();
  syncDisks();
  return performance.now() - t;
};

function startup(scratch: string): Figure[] {
  const home = path.join(scratch, 'home-startup');
  const src = path.join(scratch, 'startup-src');
  writeSmallFiles(src, 200);
  for (const name of ['a', 'b', 'c'])
    timeProcess(process.execPath, mlwb('--home', home, 'dataset', 'add', name, src));
  // The first command after an install or an edit may (re)build the CLI bundle: not the common case.
  timeProcess(process.execPath, mlwb('--version'));
  const rounds = { node: [] as number[], help: [] as number[], list: [] as number[], npx: [] as number[] };
  for (let i = 0; i < 15; i++) {
    rounds.node.push(timeProcess(process.execPath, ['-e', '0']));
    rounds.help.push(timeProcess(process.execPath, mlwb('--help')));
    rounds.list.push(timeProcess(process.execPath, mlwb('--home', home, 'dataset', 'list', '--json')));
    if (i < 5) rounds.npx.push(timeProcess('npx', ['mlwb', '--help']));
  }
  const node = median(rounds.node);
  const help = median(rounds.help);
  const list = median(rounds.list);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  return [
    {
      name: 'start-up: mlwb --help vs node -e 0 (median of 15 whole processes)',
      value: `${(help / node).toFixed(2)}× (${ms(help)} vs ${ms(node)}; through npx ${ms(median(rounds.npx))})`,
      target: '≤ 3×',
      pass: help / node <= 3,
    },
    {
      name: 'start-up: mlwb dataset list --json vs node -e 0',
      value: `${(list / node).toFixed(2)}× (${ms(list)} vs ${ms(node)})`,
      target: '≤ 5×',
      pass: list / node <= 5,
    },
  ];
}

interface ReAdd {
  first: number;
  again: number;
  unwatched: number;
  floor: number;
  /** How long after the first add its source watch was ready (undefined: none started). */
  ready: number | undefined;
}

/** Re-adds of the unchanged folder, whole processes with a sync for the same footing as the first add. */
function timeReAdds(home: string, src: string, first: number, ready: number | undefined): ReAdd {
  const reAdd = mlwb('--home', home, 'dataset', 'add', 'bench', src, '--json');
  const again = timeProcess(process.execPath, reAdd) + timedSync();
  const unwatched =
    timeProcess(process.execPath, reAdd, [0], root, { ...process.env, MLWB_WATCH: '0' }) + timedSync();
  // The floor under a re-add that lists: a bare node process that only lists and stats the files.
  const floor = timeProcess(process.execPath, ['-e', STAT_ONLY, src]) + timedSync();
  return { first, again, unwatched, floor, ready };
}

function ingest(scratch: string): Figure[] {
  log('cli bench: writing the 1 GiB bench folder…');
  const src = path.join(scratch, 'bench-folder');
  const { bytes } = writeIngestFolder(src);
  syncDisks();
  const figures: Figure[] = [];
  const rounds = 3;
  const reAdds: ReAdd[] = [];
  const outputs: string[] = [];
  for (const cache of ['warm', 'cold'] as const) {
    if (cache === 'cold' && !dropPageCache()) {
      figures.push({
        name: 'ingest, cold page cache',
        value: 'not measured: dropping the page cache needs root',
        target: '≥ 0.8× cp -r + sync',
        pass: false,
      });
      continue;
    }
    const cp: number[] = [];
    const add: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const dst = path.join(scratch, `cp-${cache}-${r}`);
      const home = path.join(scratch, `home-${cache}-${r}`);
      if (cache === 'cold') dropPageCache();
      else warmPageCache(src);
      cp.push(timeProcess('cp', ['-r', src, dst]) + timedSync());
      if (cache === 'cold') dropPageCache();
      else warmPageCache(src);
      const first = timeProcess(
        process.execPath,
        mlwb('--home', home, 'dataset', 'add', 'bench', src, '--json'),
      );
      add.push(first + timedSync());
      const ready = awaitSourceWatch(home);
      if (cache === 'warm') reAdds.push(timeReAdds(home, src, add.at(-1)!, ready));
      // Its periodic walks would overlap (and warm the caches of) the rounds after.
      stopSourceWatch(home);
      // Removed only at the end: on ext4 whichever side runs right after a large delete pays for
      // it (see ingestTiming.ts).
      outputs.push(dst, home);
    }
    const ratio = best(cp) / best(add);
    const mibs = (ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
    figures.push({
      name: `first add of the 1 GiB bench folder, ${cache} page cache, whole process + sync, vs cp -r + sync, both into the bench's scratch folder (best of ${rounds})`,
      value: `${ratio.toFixed(2)}× cp's speed (add ${(best(add) / 1000).toFixed(2)} s = ${mibs(best(add))}; cp ${(best(cp) / 1000).toFixed(2)} s = ${mibs(best(cp))})`,
      target: '≥ 0.8×',
      pass: ratio >= 0.8,
    });
  }
  // The same on filesystems made for each side: what a disk does when its allocator is not still
  // paying for the files a test suite or the rounds above deleted (see freshExt4).
  const freshReAdds: typeof reAdds = [];
  for (const cache of ['warm', 'cold'] as const) {
    const c = compareIngestWithCp({
      src,
      scratch,
      cache,
      rounds,
      fresh: true,
      add: (home) => {
        const first = timeUntilSynced(
          process.execPath,
          mlwb('--home', home, 'dataset', 'add', 'bench', src, '--json'),
        );
        const ready = awaitSourceWatch(home);
        if (cache === 'warm') freshReAdds.push(timeReAdds(home, src, first, ready));
        stopSourceWatch(home); // it holds the store open: its file system is unmounted next
        return first;
      },
    });
    if (!c.fresh) {
      figures.push({
        name: 'first add, each side on a freshly made ext4',
        value: `not measured: ${c.unavailable ?? 'no fresh filesystem'} (it needs root, mkfs.ext4 and losetup)`,
        target: '≥ 0.8× cp -r + sync',
        pass: false,
      });
      break;
    }
    const cp = best(c.cpMs);
    const add = best(c.addMs);
    figures.push({
      name: `first add of the 1 GiB bench folder, ${cache} page cache, whole process + sync, vs cp -r + sync, each side into a freshly made ext4 (best of ${rounds})`,
      value: `${c.ratio.toFixed(2)}× cp's speed (add ${(add / 1000).toFixed(2)} s; cp ${(cp / 1000).toFixed(2)} s; rounds, ms: add ${c.addMs.map(Math.round).join(', ')}; cp ${c.cpMs.map(Math.round).join(', ')})`,
      target: '≥ 0.8×',
      pass: c.ratio >= 0.8,
    });
  }
  for (const [where, list] of [
    ['the scratch folder', reAdds],
    ['a freshly made ext4', freshReAdds],
  ] as const) {
    if (!list.length) continue;
    const first = best(list.map((r) => r.first));
    const again = best(list.map((r) => r.again));
    const unwatched = best(list.map((r) => r.unwatched));
    const floor = best(list.map((r) => r.floor));
    const ready = list.map((r) => (r.ready === undefined ? 'none' : `${(r.ready / 1000).toFixed(2)} s`));
    figures.push({
      name: `re-add of the unchanged 1 GiB bench folder, whole process, vs its first add (warm, home on ${where}, the add's source watch running)`,
      value: `${(first / again).toFixed(1)}× faster (${again.toFixed(0)} ms vs ${(first / 1000).toFixed(2)} s; the watch was ready ${ready.join(', ')} after each first add)`,
      target: '≥ 20×',
      pass: first / again >= 20,
    });
    figures.push({
      name: `re-add of the same, with MLWB_WATCH=0 (no watch: every file listed and stat'ed), vs a bare node process that only stats the files`,
      value: `${unwatched.toFixed(0)} ms, ${(first / unwatched).toFixed(1)}× faster than the first add; the bare process ${floor.toFixed(0)} ms; ${(unwatched / floor).toFixed(2)}× it`,
      target: "≤ 2.5× the bare process (the project's own)",
      pass: unwatched / floor <= 2.5,
    });
  }
  for (const out of [src, ...outputs]) fs.rmSync(out, { recursive: true, force: true });
  return figures;
}

async function drift(scratch: string): Promise<Figure[]> {
  log('cli bench: writing two 1,000,000 × 20 CSVs…');
  const files = await writeBenchCsvs(scratch, 1_000_000);
  const home = path.join(scratch, 'home-drift');
  const pandas = spawnSync(DEBIAN_PYTHON, ['-c', 'import pandas, scipy'], { stdio: 'ignore' }).status === 0;
  const ours: number[] = [];
  const theirs: number[] = [];
  const args = mlwb(
    '--home',
    home,
    'drift',
    '--reference',
    files.reference,
    '--current',
    files.current,
    '--json',
  );
  // As in start-up: the first command after an edit may rebuild the CLI bundle, which is not drift.
  timeProcess(process.execPath, mlwb('--version'));
  for (let r = 0; r < 2; r++) {
    // Exit 3 is drift detected: the bench data drifts on purpose.
    ours.push(timeProcess(process.execPath, args, [0, 3]));
    if (pandas)
      theirs.push(
        timeProcess(DEBIAN_PYTHON, [
          path.join(root, 'bench', 'drift', 'pandas_check.py'),
          files.reference,
          files.current,
        ]),
      );
  }
  const figures: Figure[] = [
    {
      name: 'mlwb drift on two 1,000,000 × 20 CSVs, whole process (best of 2)',
      value: `${(best(ours) / 1000).toFixed(2)} s`,
      target: '< 5 s',
      pass: best(ours) < 5000,
    },
  ];
  figures.push(
    pandas
      ? {
          name: 'mlwb drift vs pandas + SciPy on the same files, whole processes',
          value: `${(best(theirs) / best(ours)).toFixed(1)}× faster (pandas + SciPy ${(best(theirs) / 1000).toFixed(2)} s)`,
          target: '≥ 3×',
          pass: best(theirs) / best(ours) >= 3,
        }
      : {
          name: 'mlwb drift vs pandas + SciPy',
          value: "not measured: Debian's python3-pandas and python3-scipy are not installed",
          target: '≥ 3×',
          pass: false,
        },
  );
  return figures;
}

export async function runCliBench(parts = ['startup', 'ingest', 'drift']): Promise<Figure[]> {
  const scratch = fs.mkdtempSync(path.join(process.env.MLWB_BENCH_DIR ?? os.tmpdir(), 'mlwb-cli-bench-'));
  try {
    return [
      ...(parts.includes('startup') ? startup(scratch) : []),
      ...(parts.includes('ingest') ? ingest(scratch) : []),
      ...(parts.includes('drift') ? await drift(scratch) : []),
    ];
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
