// The source watch as a user meets it: real `mlwb` processes, the watch process they start, and
// inotify on a real folder.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  askSourceWatch,
  mountNamespace,
  parseQuickAdd,
  resolveHomeLike,
  sourceWatchSocket,
} from '../../scripts/source-watch-client.cjs';
import { tempDirs } from '../core/testing/tempDirs.ts';
import { resolveHome } from '../core/workbench.ts';
import { main } from './main.ts';
import { sourceWatchCommand } from './sourceWatchProcess.ts';
import { alive, BIN, mlwb, mlwbJson } from './testing/mlwbProcess.ts';

const dirs = tempDirs();
let src: string;

interface Status {
  ok: true;
  pid: number;
  answered: number;
  pending: number;
  sets: { dataset: string; paths: string[]; state: string; why?: string }[];
}

const socketOf = (home: string) => sourceWatchSocket(home)!;
/** What bin/mlwb.js says of itself when it asks: its install's folder and its mount namespace. */
const asker = { root: path.resolve(BIN, '..', '..'), mounts: mountNamespace() };
const status = async (home: string) =>
  (await askSourceWatch(socketOf(home), { op: 'status' }, 1000)) as Status | undefined;

/** The watch process's status once every set it has is checked (clean or dirty). */
async function settled(home: string): Promise<Status> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await status(home);
    if (s && s.pending === 0 && s.sets.length > 0 && s.sets.every((x) => x.state !== 'checking')) return s;
    if (Date.now() > deadline) throw new Error(`the watch process did not settle: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withoutWatch<T>(fn: () => Promise<T>): Promise<T> {
  process.env.MLWB_WATCH = '0';
  try {
    return await fn();
  } finally {
    delete process.env.MLWB_WATCH;
  }
}

/** Homes used: each one's watch process is stopped after each test, however the test ended. */
const homes: string[] = [];
const newHome = () => {
  const home = dirs.make();
  homes.push(home);
  return home;
};
afterEach(async () => {
  for (const home of homes.splice(0)) {
    const s = await status(home);
    if (s) process.kill(s.pid, 'SIGTERM');
  }
});

beforeAll(() => {
  src = dirs.make();
  for (let d = 0; d < 12; d++) {
    fs.mkdirSync(path.join(src, `d${d}`));
    for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(src, `d${d}`, `f${f}.txt`), `${d}-${f}\n`);
  }
});

describe('the quick add in bin/mlwb.js', () => {
  it('takes only `dataset add` with the flags it knows', () => {
    expect(parseQuickAdd(['--home', 'H', 'dataset', 'add', 'd', 'a', 'b', '--json'])).toEqual({
      home: 'H',
      json: true,
      dataset: 'd',
      paths: ['a', 'b'],
      folders: [],
    });
    expect(parseQuickAdd(['dataset', '--json', 'add', '-m', 'msg', 'd', 'a', '--home=H'])).toEqual({
      home: 'H',
      json: true,
      dataset: 'd',
      paths: ['a'],
      folders: [],
    });
    expect(parseQuickAdd(['dataset', 'add', 'd', '//'])).toMatchObject({ paths: ['/'], folders: [0] });
    // `data/`, as a shell completes it: `data`, which must be a folder.
    expect(parseQuickAdd(['dataset', 'add', 'd', '../a/', 'b', './c//'])).toMatchObject({
      paths: ['../a', 'b', './c'],
      folders: [0, 2],
    });
    for (const argv of [
      ['dataset', 'add', 'd'],
      ['dataset', 'list'],
      ['dataset', 'add', 'd', 'a', '--help'],
      ['dataset', 'add', 'd', 'a', '-m', '--json'], // -m takes no value: --json is global
      ['dataset', 'add', 'd', 'a', '--message', '-x'],
      ['dataset', '-m', 'x', 'add', 'd', 'a'],
      ['dataset', 'add', 'd', ''],
      ['dataset', 'add', 'd', 'file.txt/.'],
      ['dataset', 'add', 'd', 'file.txt/..'],
      ['dataset', 'add', 'd', 'a/./b'],
      ['dataset', 'add', 'd', '//', '--version'],
      ['dataset', 'add', 'd', 'a', '--version'],
      ['dataset', 'add', 'd', 'a', '--link'],
      ['dataset', 'add', 'd', 'a', '--home'],
      ['dataset', 'add', 'd', 'a', '--message'],
      ['run', 'add', 'd', 'a'],
    ])
      expect(parseQuickAdd(argv)).toBeUndefined();
  });

  it('takes nothing the CLI itself would refuse', async () => {
    const home = dirs.make();
    const accepted = [
      ['--home', home, 'dataset', 'add', 'd', src, '--json'],
      ['dataset', '--json', 'add', '-m', 'msg', 'd', src, `--home=${home}`],
      ['dataset', 'add', `--home=${home}`, '--message=m', 'd', '--', src],
      ['dataset', 'add', 'd', src, '-mx', '--home', home],
    ];
    const quiet = { stdout: new PassThrough(), stderr: new PassThrough() } as unknown as Parameters<
      typeof main
    >[1];
    for (const argv of accepted) {
      expect(parseQuickAdd(argv)).toMatchObject({ dataset: 'd', paths: [src] });
      expect(await main(argv, quiet)).toBe(0);
    }
  });

  it('finds the home where the CLI does', () => {
    for (const [explicit, env] of [
      ['rel/home', {}],
      [undefined, { MLWB_HOME: 'x/y' }],
      [undefined, { XDG_DATA_HOME: '/data' }],
      [undefined, {}],
    ] as const)
      expect(resolveHomeLike(explicit, env)).toBe(resolveHome(explicit, env));
  });
});

describe('mlwb dataset add with the source watch', () => {
  it('answers an unchanged re-add as the add itself would, and follows a change', async () => {
    const home = newHome();
    const v1 = await mlwbJson(home, 'dataset', 'add', 'big', src);
    expect(v1).toMatchObject({ version: 1, created: true, files: 1200 });
    const first = await settled(home);
    expect(first).toMatchObject({ answered: 0, sets: [{ dataset: 'big', paths: [src], state: 'clean' }] });
    expect(fs.statSync(socketOf(home)).mode & 0o777).toBe(0o600);

    const fastJson = await mlwb(home, 'dataset', 'add', 'big', src, '--json');
    const fastText = await mlwb(home, 'dataset', 'add', 'big', src, '--message', 'ignored: no new version');
    expect((await status(home))!.answered).toBe(2);
    const slowJson = await withoutWatch(() => mlwb(home, 'dataset', 'add', 'big', src, '--json'));
    const slowText = await withoutWatch(() => mlwb(home, 'dataset', 'add', 'big', src));
    expect((await status(home))!.answered).toBe(2);
    expect(fastJson).toEqual(slowJson);
    expect(fastText).toEqual(slowText);
    expect(JSON.parse(fastJson.stdout)).toMatchObject({ version: 1, created: false, newBytes: 0 });
    expect(fastText.stdout).toBe(
      'big@1 unchanged: the content equals the latest version; no new version made.\n',
    );
    // A path relative to where the command runs, as users type it.
    const relative = await promisify(execFile)(
      process.execPath,
      [BIN, 'dataset', 'add', 'big', path.basename(src), '--json', `--home=${home}`],
      { cwd: path.dirname(src) },
    );
    expect(relative.stdout).toBe(slowJson.stdout);
    expect((await status(home))!.answered).toBe(3);

    // A change: the next add makes version 2 as always, and the watch takes the new version on.
    fs.appendFileSync(path.join(src, 'd3', 'f7.txt'), 'more\n');
    const v2 = await mlwbJson(home, 'dataset', 'add', 'big', src);
    expect(v2).toMatchObject({ version: 2, created: true });
    const again = await settled(home);
    expect(again).toMatchObject({ pid: first.pid, sets: [{ state: 'clean' }] });
    expect(await mlwbJson(home, 'dataset', 'add', 'big', src)).toMatchObject({ version: 2, created: false });
    expect((await status(home))!.answered).toBe(4);

    // Its home removed, it stops (within its 1 s tick).
    fs.rmSync(home, { recursive: true });
    await expect.poll(() => alive(first.pid), { timeout: 5000 }).toBe(false);
  });

  it('never answers unchanged for a change made just before the question', async () => {
    const home = newHome();
    await mlwbJson(home, 'dataset', 'add', 'race', src);
    for (let i = 0; i < 8; i++) {
      const s = await settled(home);
      expect(s.sets[0]!.state).toBe('clean');
      const question = { op: 'add', dataset: 'race', paths: [src], json: true, ...asker };
      expect(await askSourceWatch(socketOf(home), question, 1000)).toMatchObject({ ok: true });
      if (i === 0) {
        // Asked by another install, or from another mount namespace: not its to answer.
        for (const other of [{ root: '/elsewhere' }, { mounts: 'mnt:[1]' }])
          expect(await askSourceWatch(socketOf(home), { ...question, ...other }, 1000)).toEqual({
            ok: false,
          });
      }
      fs.appendFileSync(path.join(src, `d${i}`, 'f0.txt'), `${i}\n`);
      expect(await askSourceWatch(socketOf(home), question, 1000)).toEqual({ ok: false });
      expect(await mlwbJson(home, 'dataset', 'add', 'race', src)).toMatchObject({
        version: i + 2,
        created: true,
      });
    }
  });

  it('works from a working folder that was removed, quick or not', async () => {
    const home = newHome();
    await mlwbJson(home, 'dataset', 'add', 'big', src);
    await settled(home);
    const gone = dirs.make();
    const script = `cd "${gone}" && rmdir "${gone}" && exec "${process.execPath}" "${BIN}" --home "${home}" dataset add big "${src}" --json`;
    for (const env of [process.env, { ...process.env, MLWB_WATCH: '0' }]) {
      const r = await promisify(execFile)('sh', ['-c', script], { env });
      expect(JSON.parse(r.stdout)).toMatchObject({ version: 1, created: false });
      fs.mkdirSync(gone);
    }
    const { pid } = (await status(home))!;
    expect((await status(home))!.answered).toBe(1);

    expect(fs.existsSync(socketOf(home))).toBe(true);
    process.kill(pid, 'SIGTERM');
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    expect(fs.existsSync(socketOf(home))).toBe(false);
  });

  it('refuses and stops when it does not run the CLI a command would run (rebuilt, upgraded, edited)', async () => {
    // In this test process the watch runs from the TypeScript sources, not the current bundle.
    const home = newHome();
    await mlwbJson(home, 'dataset', 'add', 'big', src);
    const s = await settled(home);
    process.kill(s.pid, 'SIGTERM');
    await expect.poll(() => alive(s.pid), { timeout: 5000 }).toBe(false);
    const stopped = sourceWatchCommand(home, [JSON.stringify({ dataset: 'big', paths: [src] })]);
    await expect.poll(async () => (await status(home))?.sets[0]?.state, { timeout: 20_000 }).toBe('clean');
    const question = { op: 'add', dataset: 'big', paths: [src], json: true, ...asker };
    expect(await askSourceWatch(socketOf(home), question, 1000)).toEqual({ ok: false });
    expect(await stopped).toBe(0);
    expect(fs.existsSync(socketOf(home))).toBe(false);
  });

  it('starts nothing for a small add, nor with MLWB_WATCH=0', async () => {
    const small = dirs.make();
    fs.writeFileSync(path.join(small, 'a.txt'), 'a');
    const home = newHome();
    await mlwbJson(home, 'dataset', 'add', 'small', small);
    await withoutWatch(() => mlwbJson(home, 'dataset', 'add', 'big', src));
    await new Promise((r) => setTimeout(r, 1000));
    expect(fs.existsSync(socketOf(home))).toBe(false);
    expect(fs.existsSync(path.join(home, 'source-watch.log'))).toBe(false);
  });
});
