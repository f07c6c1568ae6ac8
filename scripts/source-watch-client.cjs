// The client side of the source watch (electron/core/datasets/sourceWatch.ts): bin/mlwb.js asks it
// whether `mlwb dataset add NAME PATH…` would find the dataset's latest version unchanged, before
// it loads anything else, so an unchanged re-add costs a Node start and one round trip on a local
// socket. Anything unexpected (no watch process, another command, a flag this parser does not know,
// a slow answer) answers undefined, and the command runs as always.
'use strict';
// CommonJS, as bin/mlwb.js is: loading it costs less than an ES module's loader.
const net = require('node:net');
const path = require('node:path');
const { parseArgs } = require('node:util');

/** The protocol's version: a watch process answers only requests of its own version. */
const PROTOCOL = 1;

/** How long an add waits for the watch process's answer before it lists the files itself. */
const QUICK_ADD_MS = 300;

/** Past this many bytes, a Unix socket's path is refused by the kernel (108 with the NUL on Linux). */
const MAX_SOCKET_PATH = 100;

// The CLI's own home resolution (the CLI and the app import it through core/workbench.ts).
const { resolveHome } = require('../electron/core/home.cjs');

/** The socket a home's watch process listens on; undefined when its path is too long for one. */
function sourceWatchSocket(home) {
  const file = path.join(home, 'sources.sock');
  return Buffer.byteLength(file) <= MAX_SOCKET_PATH ? file : undefined;
}

/**
 * `dataset add NAME PATH… [--message TEXT]` with the global `--home DIR` and `--json` anywhere,
 * parsed as the CLI parses it (electron/cli/main.ts splitGlobals, then datasetCommands.ts's
 * parseArgs); undefined for anything else, and for anything the CLI would refuse or treat apart.
 */
function parseQuickAdd(argv) {
  let home;
  let json = false;
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--json') json = true;
    else if (a === '--help' || a === '-h' || a === '--version') return undefined;
    else if (a === '--home') {
      home = argv[++i];
      if (!home) return undefined;
    } else if (a.startsWith('--home=')) home = a.slice('--home='.length);
    else rest.push(a);
  }
  if (rest[0] !== 'dataset' || rest[1] !== 'add') return undefined;
  let positionals;
  try {
    ({ positionals } = parseArgs({
      args: rest.slice(2),
      options: { message: { type: 'string', short: 'm' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch {
    return undefined;
  }
  const [dataset, ...typed] = positionals;
  if (!dataset || typed.length === 0 || !typed.every(plainPath)) return undefined;
  // `data/` (as a shell completes it) is `data`, which must then be a folder: the CLI's stat of
  // `file/` fails, so the watch process is told to answer only for a folder there.
  const paths = typed.map((p) => p.replace(/\/+$/, '') || '/');
  const folders = typed.flatMap((p, i) => (p.endsWith('/') ? [i] : []));
  return { home, json, dataset, paths, folders };
}

/**
 * A path this parser may resolve as the CLI's stat would: not empty, and no `.` or `..` after a
 * name (`file/..` fails there, as the name may not be a folder; `../data` and `./data` are fine).
 */
function plainPath(p) {
  if (p === '') return false;
  let named = false;
  for (const part of p.split('/')) {
    if (part === '') continue;
    if (part === '.' || part === '..') {
      if (named) return false;
    } else named = true;
  }
  return true;
}

/**
 * Sends one request (a JSON line) and resolves with the JSON line answered, or undefined on any
 * failure or after `timeoutMs`.
 */
function askSourceWatch(socket, request, timeoutMs) {
  return new Promise((resolve) => {
    let settled = false;
    let reply = '';
    const done = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(value);
    };
    const conn = net.connect(socket);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${JSON.stringify({ v: PROTOCOL, ...request })}\n`));
    conn.on('data', (chunk) => {
      reply += chunk;
      const end = reply.indexOf('\n');
      if (end < 0) return;
      try {
        done(JSON.parse(reply.slice(0, end)));
      } catch {
        done(undefined);
      }
    });
    conn.on('error', () => done(undefined));
    conn.on('close', () => done(undefined));
  });
}

/** This process's mount namespace (`mnt:[N]`), or '' where there is none to read. */
function mountNamespace() {
  try {
    return require('node:fs').readlinkSync('/proc/self/ns/mnt');
  } catch {
    return '';
  }
}

/**
 * Answers `mlwb dataset add` from the home's watch process when it can vouch that the sources are
 * unchanged: prints what the command would print and resolves with its exit code (0). Resolves
 * undefined otherwise, and never throws.
 */
async function quickAdd(argv, env = process.env) {
  try {
    if (env.MLWB_WATCH === '0' || env.MLWB_FROM_SOURCES) return undefined;
    const req = parseQuickAdd(argv);
    if (!req) return undefined;
    const socket = sourceWatchSocket(resolveHome(req.home, env));
    if (!socket) return undefined;
    const paths = req.paths.map((p) =>
      path.isAbsolute(p) ? path.resolve(p) : path.resolve(process.cwd(), p),
    );
    // Which install asks, and from which mount namespace: a watch process of another install
    // (its code) or namespace (its /data may be another folder) must not answer.
    const root = path.resolve(__dirname, '..');
    const mounts = mountNamespace();
    const reply = await askSourceWatch(
      socket,
      { op: 'add', dataset: req.dataset, paths, json: req.json, folders: req.folders, root, mounts },
      QUICK_ADD_MS,
    );
    if (reply?.ok !== true || typeof reply.stdout !== 'string') return undefined;
    process.stdout.write(reply.stdout);
    return 0;
  } catch {
    return undefined;
  }
}

module.exports = {
  PROTOCOL,
  QUICK_ADD_MS,
  /** The home as the CLI finds it: the same function, for this module's users. */
  resolveHomeLike: resolveHome,
  sourceWatchSocket,
  parseQuickAdd,
  askSourceWatch,
  mountNamespace,
  quickAdd,
};
