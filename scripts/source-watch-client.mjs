// The client side of the source watch (electron/core/datasets/sourceWatch.ts): bin/mlwb.js asks it
// whether `mlwb dataset add NAME PATH…` would find the dataset's latest version unchanged, before
// it loads anything else, so an unchanged re-add costs a Node start and one round trip on a local
// socket. Anything unexpected (no watch process, another command, a flag this parser does not know,
// a slow answer) answers undefined, and the command runs as always.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The protocol's version: a watch process answers only requests of its own version. */
export const PROTOCOL = 1;

/** How long an add waits for the watch process's answer before it lists the files itself. */
export const QUICK_ADD_MS = 300;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Past this many bytes, a Unix socket's path is refused by the kernel (108 with the NUL on Linux). */
const MAX_SOCKET_PATH = 100;

/** The workbench home, as electron/core/workbench.ts resolveHome (a test keeps the two equal). */
export function resolveHomeLike(explicit, env = process.env) {
  if (explicit) return path.resolve(explicit);
  if (env.MLWB_HOME) return path.resolve(env.MLWB_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'MLOps Workbench');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'MLOps Workbench');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'mlops-workbench');
  }
}

/** The socket a home's watch process listens on; undefined when its path is too long for one. */
export function sourceWatchSocket(home) {
  const file = path.join(home, 'sources.sock');
  return Buffer.byteLength(file) <= MAX_SOCKET_PATH ? file : undefined;
}

/**
 * `dataset add NAME PATH… [--message TEXT]` with the global `--home DIR` and `--json` anywhere,
 * parsed as the CLI parses it (electron/cli/main.ts splitGlobals, then datasetCommands.ts's
 * parseArgs); undefined for anything else, and for anything the CLI would refuse or treat apart.
 */
export function parseQuickAdd(argv) {
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
  const [dataset, ...paths] = positionals;
  // A trailing slash makes the CLI's stat fail on a file; an empty path is refused: both its to say.
  if (!dataset || paths.length === 0 || paths.some((p) => p === '' || p.endsWith('/'))) return undefined;
  return { home, json, dataset, paths };
}

/**
 * Sends one request (a JSON line) and resolves with the JSON line answered, or undefined on any
 * failure or after `timeoutMs`.
 */
export function askSourceWatch(socket, request, timeoutMs) {
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

/** The CLI bundle `npm install` (or the last rebuild) made: its folder under dist/cli/. */
function currentBuild() {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'dist', 'cli', 'manifest.json'), 'utf8')).dir;
  } catch {
    return undefined;
  }
}

/**
 * Answers `mlwb dataset add` from the home's watch process when it can vouch that the sources are
 * unchanged: prints what the command would print and resolves with its exit code (0). Resolves
 * undefined otherwise, and never throws.
 */
export async function quickAdd(argv, env = process.env) {
  try {
    if (env.MLWB_WATCH === '0' || env.MLWB_FROM_SOURCES) return undefined;
    const req = parseQuickAdd(argv);
    if (!req) return undefined;
    const socket = sourceWatchSocket(resolveHomeLike(req.home, env));
    const build = currentBuild();
    if (!socket || !build) return undefined;
    const paths = req.paths.map((p) =>
      path.isAbsolute(p) ? path.resolve(p) : path.resolve(process.cwd(), p),
    );
    const reply = await askSourceWatch(
      socket,
      { op: 'add', dataset: req.dataset, paths, json: req.json, build },
      QUICK_ADD_MS,
    );
    if (reply?.ok !== true || typeof reply.stdout !== 'string') return undefined;
    process.stdout.write(reply.stdout);
    return 0;
  } catch {
    return undefined;
  }
}
