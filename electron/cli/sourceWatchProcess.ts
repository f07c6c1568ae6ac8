/**
 * The source-watch process, and how `mlwb dataset add` starts it.
 *
 * An add of many files (datasetCommands.ts WATCH_MIN_FILES) hands its inputs to the home's watch
 * process, starting one if none runs: `mlwb --home H __watch-sources SET` (not in the help),
 * detached, with its output in H/source-watch.log. It watches the inputs
 * (electron/core/datasets/sourceWatch.ts) and answers on H/sources.sock, one JSON line each way:
 * - `{v, op: "watch", dataset, paths}`: watch this set too (answered at once, checked after);
 * - `{v, op: "add", dataset, paths, json, folders}`: `{ok: true, stdout}`, what `mlwb dataset add`
 *   prints, when the set is vouched for unchanged, else `{ok: false}` (bin/mlwb.js then adds as
 *   always);
 * - `{v, op: "status"}`: its pid, build, how many adds it answered, how many checks are queued,
 *   and the sets and their states.
 * A `watch` or `add` finds out first whether this process still runs the CLI's current bundle
 * (scripts/cli-bundle.mjs freshBundle): when the CLI was rebuilt, upgraded or edited, it answers
 * `{ok: false}` and stops, and the add that follows starts a process of the new build.
 * It reads the store and writes no row. Checks, and the walks that look again at clean sets every
 * VERIFY_MS, run one at a time. It stops when no set is left to vouch for (after EMPTY_MS), after
 * IDLE_MS without a request, when its home's store is removed or replaced, when its socket is
 * taken, or on SIGTERM.
 * MLWB_WATCH=0 turns it off (nothing is started, nothing is asked).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { freshBundle } from '../../scripts/cli-bundle.mjs';
import {
  askSourceWatch,
  mountNamespace,
  PROTOCOL,
  QUICK_ADD_MS,
  sourceWatchSocket,
} from '../../scripts/source-watch-client.cjs';
import { DatasetRepo } from '../core/datasets/datasetRepo.ts';
import { type SourceSet, SourceWatch } from '../core/datasets/sourceWatch.ts';
import { openDatabase } from '../core/store/database.ts';
import { addText } from './datasetCommands.ts';
import { toJson } from './output.ts';

const IDLE_MS = 60 * 60_000;
const EMPTY_MS = 10_000;
const TICK_MS = 1000;
/** How long an add may wait for a check of its set under way (the client waits QUICK_ADD_MS). */
const CHECK_WAIT_MS = 200;
/** A set passed on the command line past this size is not watched (the kernel limits an argument). */
const MAX_SET_ARG = 64 * 1024;

const SourceSetSchema = z.object({
  dataset: z.string().min(1),
  paths: z.array(z.string().refine((p) => path.isAbsolute(p), 'an absolute path')).min(1),
});
const Request = z.discriminatedUnion('op', [
  SourceSetSchema.extend({ v: z.literal(PROTOCOL), op: z.literal('watch') }),
  SourceSetSchema.extend({
    v: z.literal(PROTOCOL),
    op: z.literal('add'),
    json: z.boolean(),
    /** Indexes of the inputs typed with a trailing slash: they must be folders. */
    folders: z.array(z.number().int().nonnegative()).default([]),
    /** The asking install's folder and mount namespace: both must be this process's. */
    root: z.string(),
    mounts: z.string(),
  }),
  z.object({ v: z.literal(PROTOCOL), op: z.literal('status') }),
]);

const sourceWatchLog = (home: string) => path.join(home, 'source-watch.log');

/** The CLI bundle this code was loaded from: dist/cli/b-…/ (under tsx, the sources' folder). */
const bundleDir = () => path.dirname(fileURLToPath(import.meta.url));
/** The install the bundle belongs to (the folder holding bin/ and dist/). */
const installRoot = () => path.resolve(bundleDir(), '..', '..', '..');

/**
 * Whether this process still runs the CLI a command would run: its bundle is the current one and
 * no source it was built from has changed since (else an add would rebuild, and may differ).
 */
function runsCurrentBuild(): boolean {
  const dir = bundleDir();
  const url = freshBundle(installRoot());
  return url !== undefined && path.dirname(fileURLToPath(url)) === dir;
}

/**
 * After an add: has the home's watch process watch these inputs, starting it when none answers.
 * `entry` is how this CLI was started (bin/mlwb.js); without it (the CLI called in-process) nothing
 * is started. Never fails the add.
 */
export async function watchAfterAdd(home: string, entry: string | undefined, set: SourceSet): Promise<void> {
  if (!entry || process.platform !== 'linux') return;
  if (process.env.MLWB_WATCH === '0' || process.env.MLWB_FROM_SOURCES) return;
  // Not from the sources, or a build the manifest does not name: that process could never answer.
  if (!runsCurrentBuild()) return;
  const socket = sourceWatchSocket(home);
  const arg = JSON.stringify(set);
  if (!socket || arg.length > MAX_SET_ARG) return;
  try {
    const reply = (await askSourceWatch(socket, { op: 'watch', ...set }, QUICK_ADD_MS)) as
      | { ok?: boolean }
      | undefined;
    if (reply?.ok === true) return;
    // No answer, or a process of another build (it stops): a new one, for this build.
    const logFile = sourceWatchLog(home);
    const old = fs.statSync(logFile, { throwIfNoEntry: false });
    const log = fs.openSync(logFile, old && old.size > 1 << 20 ? 'w' : 'a');
    try {
      // Not this process's Node flags (an --inspect port would clash).
      const child = spawn(process.execPath, [entry, '--home', home, '__watch-sources', arg], {
        cwd: home,
        detached: true,
        stdio: ['ignore', log, log],
        env: process.env,
      });
      child.on('error', () => {});
      child.unref();
    } finally {
      fs.closeSync(log);
    }
  } catch {
    // Only a shortcut for the next add: without it, that add lists the files again.
  }
}

/** `mlwb __watch-sources [SET]`: the watch process. Resolves with its exit code when it stops. */
export async function sourceWatchCommand(home: string, args: string[]): Promise<number> {
  const first = args[0] === undefined ? undefined : SourceSetSchema.parse(JSON.parse(args[0]));
  const socket = sourceWatchSocket(home);
  const dbFile = path.join(home, 'workbench.db');
  const dbStat = fs.statSync(dbFile, { throwIfNoEntry: false });
  if (!socket || !dbStat) {
    process.stderr.write(`source watch: no workbench store in ${home}, or its path is too long\n`);
    return 1;
  }
  const sameStore = () => fs.statSync(dbFile, { throwIfNoEntry: false })?.ino === dbStat.ino;
  const build = path.basename(bundleDir());
  const root = installRoot();
  const mounts = mountNamespace();
  const db = openDatabase(dbFile);
  const say = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

  // Checks and periodic walks run one at a time.
  let pending = 0;
  let chain = Promise.resolve();
  const serially = (task: () => Promise<void>) => {
    pending++;
    chain = chain
      .then(() => (stopping ? undefined : task()))
      .catch((err) => {
        say(`error: ${(err as Error).message}`);
      })
      .finally(() => pending--);
  };
  const enqueue = (set: SourceSet) =>
    serially(async () => {
      const s = await watch.watch(set);
      say(`${s.dataset}: ${s.state}${s.why ? ` (${s.why})` : ''}`);
    });
  const watch = new SourceWatch(new DatasetRepo(db), enqueue);

  let stopping = false;
  let stop = () => {};
  let lastRequest = Date.now();
  let answered = 0;
  let verifying = false;
  const answer = (set: SourceSet, json: boolean, folders: number[]) => {
    if (stopping || !sameStore()) return { ok: false };
    const r = watch.answer(set, folders);
    if (!r) return { ok: false };
    answered++;
    return { ok: true, stdout: `${json ? toJson(r) : addText(r)}\n` };
  };
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setTimeout(5000, () => conn.destroy()); // a client that says nothing keeps no one waiting
    conn.setEncoding('utf8');
    conn.on('error', () => {});
    const reply = (value: unknown) => conn.end(`${JSON.stringify(value)}\n`);
    const onData = (chunk: string) => {
      buf += chunk;
      if (buf.length > 1 << 20) return conn.destroy();
      const end = buf.indexOf('\n');
      if (end < 0) return;
      conn.off('data', onData);
      lastRequest = Date.now();
      let req: z.infer<typeof Request>;
      try {
        req = Request.parse(JSON.parse(buf.slice(0, end)));
      } catch {
        return reply({ ok: false });
      }
      if (req.op === 'status') {
        return reply({ ok: true, pid: process.pid, build, answered, pending, sets: watch.status() });
      }
      if (!runsCurrentBuild()) {
        // The CLI was rebuilt, upgraded or edited: its own add answers; this process has had its day.
        say('stopping: the CLI changed since this process started');
        reply({ ok: false });
        return stop();
      }
      switch (req.op) {
        case 'watch':
          enqueue({ dataset: req.dataset, paths: req.paths });
          return reply({ ok: true });
        case 'add': {
          if (req.root !== root || req.mounts !== mounts) return reply({ ok: false });
          const { json, folders } = req;
          const set = { dataset: req.dataset, paths: req.paths };
          // An add right after the one that started this process may find its check under way: it
          // is worth a short wait, not the client's whole patience (it then lists the files itself).
          // And a change made before the request was sent is queued on inotify before the request
          // reaches this socket, so it is handled at the latest in this turn's poll phase: the
          // answer waits for the next phase.
          void watch.checked(set, CHECK_WAIT_MS).then(() =>
            setImmediate(() => {
              try {
                reply(answer(set, json, folders));
              } catch (err) {
                say(`error: ${(err as Error).message}`);
                reply({ ok: false });
              }
            }),
          );
          return;
        }
      }
    };
    conn.on('data', onData);
  });

  if (!(await listen(server, socket))) {
    // Another watch process has the socket: it takes the set.
    if (first) await askSourceWatch(socket, { op: 'watch', ...first }, 5000);
    db.close();
    return 0;
  }
  const ours = fs.statSync(socket).ino;
  const stillOurs = () => fs.statSync(socket, { throwIfNoEntry: false })?.ino === ours;
  say(`watching for ${home} (process ${process.pid})`);
  if (first) enqueue(first);

  await new Promise<void>((resolve) => {
    let emptySince = Date.now();
    stop = () => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      clearInterval(tick);
      watch.close();
      server.close();
      if (stillOurs()) fs.rmSync(socket, { force: true });
      // Closed once the check or walk under way has ended.
      void chain.finally(() => db.close());
      resolve();
    };
    const tick = setInterval(() => {
      const now = Date.now();
      if (watch.active || pending > 0) emptySince = now;
      if (now - emptySince > EMPTY_MS || now - lastRequest > IDLE_MS || !sameStore() || !stillOurs()) {
        return stop();
      }
      // One periodic walk queued at a time, behind whatever checks are queued.
      if (!verifying) {
        verifying = true;
        serially(() => watch.verify(now).finally(() => (verifying = false)));
      }
    }, TICK_MS);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  say('stopped');
  return 0;
}

/** Listens on the socket; false when another live watch process has it. */
async function listen(server: net.Server, socket: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const failed = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const umask = process.umask(0o177); // the socket is this user's only
      server.once('error', resolve);
      server.listen(socket, () => {
        server.off('error', resolve);
        resolve(undefined);
      });
      process.umask(umask);
    });
    if (!failed) return true;
    if (failed.code !== 'EADDRINUSE') throw failed;
    // A live one answers (a busy one within seconds: its checks yield).
    if (await askSourceWatch(socket, { op: 'status' }, 5000)) return false;
    fs.rmSync(socket, { force: true }); // what a killed watch process left
  }
  return false;
}
