/**
 * One run's container: create it with the container contract of DESIGN.md §5, hardened (see
 * createContainer), stream its logs to disk and to listeners, sample its memory, and wait for it
 * to exit. Knows Docker, not the tracking store.
 */
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { Resources } from '../../../shared/training.ts';
import { invalidInput, WorkbenchError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { appendNote, type LogLine, logAppender, type ResumePoint } from './runLogs.ts';

export const LABEL_RUN = 'dev.mlops-workbench.run-id';
export const LABEL_RECIPE = 'dev.mlops-workbench.recipe-digest';

export interface RunDirs {
  root: string;
  code: string;
  data: string;
  config: string;
  output: string;
  log: string;
}

export function runDirs(home: string, runId: string): RunDirs {
  const root = path.join(home, 'runs', runId);
  return {
    root,
    code: path.join(root, 'code'),
    data: path.join(root, 'input', 'data'),
    config: path.join(root, 'input', 'config'),
    output: path.join(root, 'output'),
    log: path.join(root, 'logs.txt'),
  };
}

export function memoryBytes(s: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmgKMG]?)$/.exec(s);
  if (!m) throw invalidInput(`"${s}" is not a memory size; use e.g. 512m or 2g.`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

/** Docker's answer when an image is missing, as a next step for this machine (no registry). */
export async function requireImage(docker: Docker, image: string): Promise<string> {
  try {
    const info = await docker.getImage(image).inspect();
    return info.Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new WorkbenchError(
        'NOT_FOUND',
        `The image ${image} is not on this Docker engine, and no image registry is reachable from here. Build the offline base images with \`npm run images:offline\`, or name an image that \`docker images\` lists.`,
      );
    }
    throw engineError(err);
  }
}

/** Error codes that mean the engine cannot be reached: not there, refused, or its machine gone. */
const ENGINE_GONE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

export function engineError(err: unknown): WorkbenchError {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  // An answer with a status came from the engine, whatever its words (a slow mount's "i/o timeout").
  if (
    e.statusCode === undefined &&
    (ENGINE_GONE.has(e.code ?? '') || /socket hang up|timeout|timed out/i.test(e.message))
  ) {
    return new WorkbenchError(
      'ENGINE_UNAVAILABLE',
      `The Docker engine does not answer (${e.code ?? e.message}). Start it (sudo dockerd, or systemctl start docker) or set DOCKER_HOST, then try again.`,
    );
  }
  const said = e.json?.message ?? e.message;
  // Docker's words when GPUs are requested from an engine that has no GPU runtime.
  if (/could not select device driver .*capabilities: \[\[gpu\]\]/.test(said)) {
    return new WorkbenchError(
      'INVALID_INPUT',
      `This engine cannot give containers GPUs: it has no GPU device driver (on its machine install the NVIDIA drivers and the NVIDIA Container Toolkit, then restart Docker). Run with 0 GPUs, or pick an engine with GPUs. Docker said: ${said}`,
    );
  }
  return new WorkbenchError('INTERNAL', `Docker: ${said}`);
}

/** The same user in Debian's, Ubuntu's and Alpine's images: nobody:nogroup. */
const NOBODY = { uid: 65534, gid: 65534 };
/** Processes and threads a run may have at once: room for a BLAS thread pool per core, not a fork bomb. */
export const RUN_PIDS_LIMIT = 4096;
/** /tmp's size when no memory limit bounds it (tmpfs pages count against the memory limit). */
const TMP_BYTES = 1024 ** 3;

/**
 * Who training runs as: never root. A workbench running as a user runs its containers as that
 * user, whose folders the run's are; a workbench running as root runs them as nobody, and hands
 * the run's output folders to it (see shareRunDirs).
 */
export function runUser(): { uid: number; gid: number } {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined || uid === 0) return NOBODY;
  return { uid, gid };
}

/**
 * Makes the run's folders usable by the run's user when that is not this process's user (this
 * process is root): its output folders become the run user's, and its inputs readable by all
 * (they are mounted read-only; a copied input keeps its recorded mode, which may be owner-only).
 * The folders are the workbench's own, made before the container starts: nothing here follows a
 * link a container made.
 */
export async function shareRunDirs(dirs: RunDirs, user = runUser()): Promise<void> {
  if (process.getuid?.() === user.uid) return;
  for (const dir of [dirs.output, path.join(dirs.output, 'model'), path.join(dirs.output, 'artifacts')]) {
    // Never through a link: a container launched before for this run may have left one here, and
    // chown as root through it would give away whatever it points at.
    if (!(await fsp.lstat(dir)).isDirectory()) continue;
    try {
      await fsp.lchown(dir, user.uid, user.gid);
    } catch {
      // A filesystem that keeps owners fixed (some network mounts): open the folder to all instead.
      await fsp.chmod(dir, 0o777);
    }
  }
  for (const dir of [dirs.code, dirs.data, dirs.config]) await readableByAll(dir);
}

async function readableByAll(dir: string): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const st = await fsp.lstat(dir);
  if ((st.mode & 0o005) !== 0o005) await fsp.chmod(dir, (st.mode & 0o7777) | 0o005);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await readableByAll(p);
    else if (e.isFile()) {
      const f = await fsp.lstat(p);
      if ((f.mode & 0o004) === 0) await fsp.chmod(p, (f.mode & 0o7777) | 0o004);
    }
  }
}

export interface ContainerSpec {
  runId: string;
  recipeDigest: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  resources: Resources;
  dirs: RunDirs;
  network: string;
}

/**
 * Creates the run's container, hardened: the code it runs is not the user's own. It runs as an
 * unprivileged user (runUser) with every capability dropped, no new privileges (setuid binaries
 * gain nothing), Docker's default seccomp profile, a pids limit, and a read-only root filesystem
 * with a writable tmpfs at /tmp (HOME=/tmp, for libraries that keep caches in the home folder).
 * It writes only /workbench/output and /tmp; its inputs and code are mounted read-only.
 */
export async function createContainer(docker: Docker, spec: ContainerSpec): Promise<Docker.Container> {
  const { dirs } = spec;
  const binds = [
    `${dirs.code}:/workbench/code:ro`,
    `${dirs.data}:/workbench/input/data:ro`,
    `${dirs.config}:/workbench/input/config:ro`,
    `${dirs.output}:/workbench/output:rw`,
  ];
  const r = spec.resources;
  const user = runUser();
  try {
    return await docker.createContainer({
      Image: spec.image,
      Cmd: spec.command,
      WorkingDir: '/workbench/code',
      Env: Object.entries({ HOME: '/tmp', ...spec.env }).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABEL_RUN]: spec.runId, [LABEL_RECIPE]: spec.recipeDigest },
      User: `${user.uid}:${user.gid}`,
      HostConfig: {
        Binds: binds,
        // None is added back: a run writes only folders its user owns, and needs no privilege
        // (no chown, no raw sockets, no low ports, no mknod).
        CapDrop: ['ALL'],
        // Docker's default seccomp profile applies, as no seccomp option is given.
        SecurityOpt: ['no-new-privileges'],
        PidsLimit: RUN_PIDS_LIMIT,
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': `rw,nosuid,nodev,mode=1777,size=${r.memory ? memoryBytes(r.memory) : TMP_BYTES}` },
        NetworkMode: spec.network,
        // A run resolves no names: its one endpoint is an address. On an internal network, Docker
        // before 26 still forwards a container's DNS queries to the host's resolvers, from the
        // host's own network when a resolver there is on a loopback address (systemd-resolved's
        // 127.0.0.53; CVE-2024-29018), which is a way out. A resolver named here is asked from
        // inside the container instead, and nothing answers on its own 127.0.0.1.
        Dns: ['127.0.0.1'],
        Memory: r.memory ? memoryBytes(r.memory) : undefined,
        MemorySwap: r.memory ? memoryBytes(r.memory) : undefined,
        NanoCpus: r.cpus ? Math.round(r.cpus * 1e9) : undefined,
        DeviceRequests: r.gpus ? [{ Count: r.gpus, Capabilities: [['gpu']] }] : undefined,
      },
    });
  } catch (err) {
    throw engineError(err);
  }
}

/** How far the log file's mtime (a coarse clock) and the engine's line stamps may disagree. */
const RESUME_SLACK_MS = 1000;
/**
 * Output without a newline is cut into lines this long: a container printing a gigabyte with no
 * newline costs this much memory, not a gigabyte (Docker itself cuts its log lines at 16 KiB).
 */
export const MAX_LOG_LINE = 64 * 1024;

/**
 * Follows the container's output until it ends, or until `signal` aborts (the process is letting
 * the run go on without it): every line goes to the log file (runLogs.ts) and to
 * `onLine`. With `resume`, only lines not written yet: those the engine stamped clearly after the
 * last write, and, around that moment, those that are not among the last lines written. So the
 * gap between two followers is filled and nothing is written twice (short of a line repeated
 * verbatim within a second of the hand-over).
 */
export async function followLogs(
  container: Docker.Container,
  logFile: string,
  onLine: (line: LogLine) => void,
  opts: { resume?: ResumePoint; signal?: AbortSignal } = {},
): Promise<void> {
  const { resume, signal } = opts;
  if (signal?.aborted) return;
  const raw = (await container.logs({
    follow: true,
    stdout: true,
    stderr: true,
    ...(resume ? { since: Math.floor((resume.time - RESUME_SLACK_MS) / 1000), timestamps: true } : {}),
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const out = logAppender(logFile);
  const written = new Map<string, number>();
  for (const l of resume?.tail ?? [])
    written.set(`${l.stream} ${l.text}`, (written.get(`${l.stream} ${l.text}`) ?? 0) + 1);
  /** Whether a line from before the hand-over was written already. */
  const seen = (stream: LogLine['stream'], text: string, stamp: number): boolean => {
    if (!resume || !Number.isFinite(stamp) || stamp > resume.time + RESUME_SLACK_MS) return false;
    if (stamp <= resume.time - RESUME_SLACK_MS) return true;
    const n = written.get(`${stream} ${text}`) ?? 0;
    if (n > 0) written.set(`${stream} ${text}`, n - 1);
    return n > 0;
  };
  /** A line as the engine sent it (`continued`: the rest of a line cut for its length, unstamped). */
  const emit = (stream: LogLine['stream'], line: string, continued = false) => {
    let text = line;
    if (resume && !continued) {
      // `2026-11-28T10:00:00.123456789Z text`: the engine's stamp, then the line.
      const space = line.indexOf(' ');
      text = space < 0 ? '' : line.slice(space + 1);
      if (seen(stream, text, Date.parse(space < 0 ? line : line.slice(0, space)))) return;
    }
    for (let i = 0; i === 0 || i < text.length; i += MAX_LOG_LINE) {
      const piece = text.slice(i, i + MAX_LOG_LINE);
      out.write({ stream, text: piece });
      onLine({ stream, text: piece });
    }
  };
  const splitter = (stream: LogLine['stream']) => {
    const pass = new PassThrough();
    // Decodes across chunks: a character split between two chunks is kept whole.
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let continued = false;
    pass.on('data', (chunk: Buffer) => {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        emit(stream, text, continued);
        continued = false;
      }
      if (rest.length >= MAX_LOG_LINE) {
        const cut = rest.length - (rest.length % MAX_LOG_LINE);
        emit(stream, rest.slice(0, cut), continued);
        rest = rest.slice(cut);
        continued = true;
      }
    });
    pass.on('end', () => {
      rest += decoder.end();
      if (rest) emit(stream, rest, continued);
    });
    return pass;
  };
  const stdout = splitter('stdout');
  const stderr = splitter('stderr');
  container.modem.demuxStream(raw, stdout, stderr);
  const stop = () => raw.destroy();
  await new Promise<void>((resolve) => {
    raw.on('end', resolve);
    raw.on('close', resolve);
    raw.on('error', () => resolve());
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) stop(); // let go while the stream was being opened
  });
  signal?.removeEventListener('abort', stop);
  stdout.end();
  stderr.end();
  await out.end();
}

/** Samples memory use every couple of seconds; returns a stop function that yields the peak. */
export function samplePeakMemory(container: Docker.Container): () => number | null {
  let peak: number | null = null;
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      try {
        const s = (await container.stats({ stream: false, 'one-shot': true } as { stream: false })) as {
          memory_stats?: { usage?: number; max_usage?: number };
        };
        const v = s.memory_stats?.max_usage ?? s.memory_stats?.usage;
        if (typeof v === 'number' && v > 0) peak = Math.max(peak ?? 0, v);
      } catch {
        // The container may be gone between samples.
      }
      await new Promise((r) => setTimeout(r, 1000).unref());
    }
  };
  void tick();
  return () => {
    stopped = true;
    return peak;
  };
}

/** The workbench's own word in a run's log (and live view), at the point it applies. */
export function noteInRunLog(d: { home: string; events: EventBus }, runId: string, text: string): void {
  const line = appendNote(runDirs(d.home, runId).log, text);
  d.events.emit('run.log', { run: runId, lines: [line], dropped: 0 });
}
