/**
 * A request log on another machine's engine: its servers write it into the volume
 * `mlwb-dep-NAME-requests` there (deploymentSpec.ts), which this machine cannot open. It is read
 * through the engine, by a one-off container of the deployment's own image (it has node) with the
 * volume mounted read-only: told how far the store has read each file, it prints, for each log
 * file, one JSON header line and then the file's bytes from there. Only what is new crosses the
 * connection, a bounded amount per container; the store takes whole lines as it does from a local
 * file (monitoring/requestLogIngest.ts, ingestRead), so the app and a CLI reading at once cannot
 * take a line twice.
 *
 * The same container, with the volume writable, sets an old deployment's log aside when a new one
 * is made under its name, as deploymentSpec.setAsideRequestLog does on this machine.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { cancelled, WorkbenchError } from '../errors.ts';
import { REQUEST_LOG_DIR, SERVER_UID } from '../serving/modelImage.ts';
import { engineError } from '../training/containerRun.ts';
import { GENERATION, HEAD_BYTES, LOG_FILE } from './deploymentSpec.ts';

/** At most this much of the log crosses per container; a larger backlog takes several. */
export const READ_BUDGET_BYTES = 16 * 1024 * 1024;
/** Headers and the end line: what a container may print beyond its budget. */
const HEADER_SLACK_BYTES = 1024 * 1024;
/** A read that sends nothing this long is given up: the engine or its connection hangs. */
const SILENCE_MS = 60_000;
/** The label that tells the reader's one-off containers from a deployment's. */
const ROLE_LABEL = 'org.mlwb.role';
const READER_ROLE = 'request-log-reader';

/** One log file as the reader saw it, with its bytes from `from` on (at most to its end). */
export interface RemoteLogPart {
  /** `g<N>[-r<S>]/<inode>`: the file, whatever it is called after a rotation. */
  key: string;
  /** Its path in the volume, for messages. */
  file: string;
  size: number;
  /** Its first bytes (at most HEAD_BYTES), latin1, to tell a new file that took a freed inode. */
  head: string;
  from: number;
  bytes: Buffer;
}

export interface RemoteRead {
  parts: RemoteLogPart[];
  /** The budget ran out before every file's end: read again. */
  more: boolean;
  /**
   * Every log file in the volume was listed and opened: a file the store knows and `parts` does
   * not name is gone (rotated out). False when one could not be (renamed while it was looked at).
   */
  complete: boolean;
}

/**
 * The reader, run by node in the deployment's image. Env: MLWB_DIR (the volume), MLWB_KNOWN (JSON:
 * file key → offset to read from), MLWB_BUDGET (bytes). Files in the order a local read takes
 * them: each generation's oldest first. fd 1 is the engine's blocking pipe (process.stdout is never
 * touched), so writeSync writes all or blocks.
 */
const READER = `
const fs = require('fs'), path = require('path');
const dir = process.env.MLWB_DIR, known = JSON.parse(process.env.MLWB_KNOWN || '{}');
let budget = Number(process.env.MLWB_BUDGET), more = false, complete = true;
const GEN = ${GENERATION}, LOG = ${LOG_FILE};
const out = (b) => { for (let o = 0; o < b.length; ) o += fs.writeSync(1, b, o, b.length - o); };
let gens = [];
try { gens = fs.readdirSync(dir).filter((g) => GEN.test(g)).sort(); } catch { complete = false; }
const printed = new Set();
for (const g of gens) {
  let files = [];
  try { files = fs.readdirSync(path.join(dir, g)).filter((f) => LOG.test(f)); } catch { complete = false; continue; }
  files.sort((a, b) => Number(LOG.exec(b)[1] || 0) - Number(LOG.exec(a)[1] || 0));
  for (const f of files) {
    let fd;
    try { fd = fs.openSync(path.join(dir, g, f), 'r'); } catch { complete = false; continue; }
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      const size = Number(st.size), key = g + '/' + st.ino;
      const head = Buffer.alloc(Math.min(${HEAD_BYTES}, size));
      fs.readSync(fd, head, 0, head.length, 0);
      let from = known[key] || 0;
      if (from > size) from = 0;
      const want = Math.min(size - from, Math.max(budget, 0));
      if (want < size - from) more = true;
      const body = Buffer.alloc(want);
      let got = 0;
      while (got < want) { const n = fs.readSync(fd, body, got, want - got, from + got); if (n === 0) break; got += n; }
      budget -= got;
      out(Buffer.from(JSON.stringify({ key, file: g + '/' + f, size, head: head.toString('latin1'), from, bytes: got }) + '\\n'));
      out(body.subarray(0, got));
      printed.add(key);
    } finally { fs.closeSync(fd); }
  }
}
// A rotation while it read renames files under it: a file it never opened is then still there.
for (const g of gens) {
  let files = [];
  try { files = fs.readdirSync(path.join(dir, g)).filter((f) => LOG.test(f)); } catch { complete = false; continue; }
  for (const f of files) {
    try { if (!printed.has(g + '/' + fs.statSync(path.join(dir, g, f), { bigint: true }).ino)) complete = false; }
    catch { complete = false; }
  }
}
out(Buffer.from(JSON.stringify({ end: true, more, complete }) + '\\n'));
`;

/** Moves every generation folder into MLWB_ASIDE (a new folder of the volume); prints how many. */
const SET_ASIDE = `
const fs = require('fs'), path = require('path');
const dir = process.env.MLWB_DIR, GEN = ${GENERATION};
const gens = fs.readdirSync(dir).filter((g) => GEN.test(g));
if (gens.length) {
  const to = path.join(dir, process.env.MLWB_ASIDE);
  fs.mkdirSync(to);
  for (const g of gens) fs.renameSync(path.join(dir, g), path.join(to, g));
}
fs.writeSync(1, JSON.stringify({ moved: gens.length }) + '\\n');
`;

export interface VolumeTask {
  docker: Docker;
  /** The deployment's image on that engine: it has node, and the server's user. */
  image: string;
  volume: string;
  /** The deployment and engine, for messages. */
  deployment: string;
  engine: string;
  signal?: AbortSignal;
}

/** Whether the volume exists; mounting a missing one would make it. */
async function volumeExists(docker: Docker, volume: string): Promise<boolean> {
  try {
    await docker.getVolume(volume).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw engineError(err);
  }
}

/**
 * Reads what is new in the volume's log files: `known` says where the store has read each file to
 * (key → offset). A volume its servers have not made yet is made empty by the look (as they would
 * make it): asking first would cost a round trip on every read.
 */
export async function readRemoteLog(
  task: VolumeTask,
  known: Record<string, number>,
  budget = READ_BUDGET_BYTES,
): Promise<RemoteRead> {
  // Keys and offsets, about 30 bytes a file: far under the 128 KiB an environment string may be,
  // as the store forgets files once they are rotated out (RequestLogIngest.ingestRead).

  const { out, err } = await runInVolume(task, READER, {
    readOnly: true,
    env: [`MLWB_KNOWN=${JSON.stringify(known)}`, `MLWB_BUDGET=${budget}`],
    maxBytes: budget + HEADER_SLACK_BYTES,
  });
  return parseRead(out, task, err);
}

/**
 * Sets the generations of an old deployment's log aside, into `before-<time>/` of the volume, so
 * a new deployment of that name starts a log of its own — unless a deployment of this home still
 * writes it (`stillWritten`, asked only when there is an old log, as setAsideRequestLog does).
 * Returns how many generation folders moved.
 */
export async function setAsideRemoteLog(
  task: VolumeTask,
  stillWritten?: () => Promise<boolean>,
): Promise<number> {
  if (!(await volumeExists(task.docker, task.volume))) return 0;
  if (await stillWritten?.()) return 0;
  // The volume's name is not this home's alone: whatever still writes it (another home's
  // deployment of that name, a service left behind) keeps its log where it is.
  let users: { Labels?: Record<string, string> }[];
  try {
    // Running ones (restarting too), not its own readers: a stopped one writes nothing.
    users = await task.docker.listContainers({ filters: { volume: [task.volume] } });
  } catch (err) {
    throw engineError(err);
  }
  if (users.some((c) => c.Labels?.[ROLE_LABEL] !== READER_ROLE)) return 0;
  const aside = `before-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const { out, err } = await runInVolume(task, SET_ASIDE, {
    readOnly: false,
    env: [`MLWB_ASIDE=${aside}`],
    maxBytes: 4096,
  });
  const moved = /^\{"moved":(\d+)\}$/m.exec(out.toString('utf8'))?.[1];
  if (moved === undefined)
    throw new WorkbenchError(
      'INTERNAL',
      `Could not set the old request log of ${task.deployment} aside on engine ${task.engine} (${err || 'the helper said nothing'}). Remove the volume ${task.volume} there (docker volume rm ${task.volume}) if its old requests are not needed, then deploy again.`,
    );
  return Number(moved);
}

/** Splits the reader's output into its parts; a truncated output is an error, not a short read. */
function parseRead(out: Buffer, task: Pick<VolumeTask, 'deployment' | 'engine'>, stderr = ''): RemoteRead {
  const parts: RemoteLogPart[] = [];
  let at = 0;
  for (;;) {
    const nl = out.indexOf(10, at);
    if (nl < 0) break;
    let header:
      | { end: true; more: boolean; complete: boolean }
      | (Omit<RemoteLogPart, 'bytes'> & { bytes: number });
    try {
      header = JSON.parse(out.toString('utf8', at, nl));
    } catch {
      break;
    }
    at = nl + 1;
    if ('end' in header) return { parts, more: header.more, complete: header.complete };
    if (at + header.bytes > out.length) break;
    parts.push({ ...header, bytes: out.subarray(at, at + header.bytes) });
    at += header.bytes;
  }
  throw new WorkbenchError(
    'INTERNAL',
    `The request log of ${task.deployment} on engine ${task.engine} could not be read: ${stderr || "the reader's output ended early"}. Check again; if it keeps failing, look at the engine there (docker info).`,
  );
}

/**
 * Runs a node script in a one-off container of the image with the volume at the log folder: as
 * the server's user, no network, no capabilities, a read-only root, no log kept by the engine,
 * removed by the engine once it ends. Returns what it printed; whether it finished is the caller's
 * to tell from that (its last line), which spares a round trip to the engine per read (over ssh,
 * each is a few hundred ms).
 */
async function runInVolume(
  task: VolumeTask,
  script: string,
  opts: { readOnly: boolean; env: string[]; maxBytes: number },
): Promise<{ out: Buffer; err: string }> {
  const { docker, signal } = task;
  signal?.throwIfAborted();
  // Every engine request (create, attach, start) is bounded by the caller's cancel and by silence:
  // an engine, or its ssh connection, that stops answering ends the read, not the schedule.
  const gaveUp = new AbortController();
  const given = new Promise<never>((_, reject) =>
    gaveUp.signal.addEventListener('abort', () => reject(gaveUp.signal.reason), { once: true }),
  );
  given.catch(() => {});
  const bounded = <T>(p: Promise<T>): Promise<T> => Promise.race([p, given]);
  let container: Docker.Container | undefined;
  let stream: NodeJS.ReadWriteStream | undefined;
  let removed = false;
  const stop = (why: Error) => {
    if (!gaveUp.signal.aborted) gaveUp.abort(why);
    (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    if (removed || !container) return;
    removed = true;
    void container.remove({ force: true }).catch(() => {});
  };
  const onAbort = () => stop(cancelled());
  signal?.addEventListener('abort', onAbort, { once: true });
  let silence: ReturnType<typeof setTimeout> | undefined;
  const heard = () => {
    clearTimeout(silence);
    silence = setTimeout(
      () =>
        stop(
          new WorkbenchError(
            'ENGINE_UNAVAILABLE',
            `Engine ${task.engine} sent nothing of ${task.deployment}'s request log for ${SILENCE_MS / 1000} s. Check that it answers (mlwb engines list), then try again.`,
          ),
        ),
      SILENCE_MS,
    );
  };
  heard();
  try {
    try {
      // One made after the read was given up is removed when it comes.
      const making = docker
        .createContainer({
          Image: task.image,
          Entrypoint: ['node', '-e', script],
          Cmd: [],
          User: `${SERVER_UID}:${SERVER_UID}`,
          Env: [`MLWB_DIR=${REQUEST_LOG_DIR}`, ...opts.env],
          AttachStdout: true,
          AttachStderr: true,
          Labels: { [ROLE_LABEL]: READER_ROLE, 'org.mlwb.deployment': task.deployment },
          HostConfig: {
            AutoRemove: true,
            Binds: [`${task.volume}:${REQUEST_LOG_DIR}:${opts.readOnly ? 'ro' : 'rw'}`],
            NetworkMode: 'none',
            CapDrop: ['ALL'],
            SecurityOpt: ['no-new-privileges'],
            ReadonlyRootfs: true,
            LogConfig: { Type: 'none', Config: {} },
            Memory: 256 * 1024 ** 2,
            PidsLimit: 64,
          },
        })
        .then((c) => {
          if (gaveUp.signal.aborted) void c.remove({ force: true }).catch(() => {});
          return c;
        });
      container = await bounded(making);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404)
        throw new WorkbenchError(
          'NOT_FOUND',
          `The request log of ${task.deployment} is read on engine ${task.engine} with its image ${task.image}, which is no longer there. Deploy ${task.deployment} again (mlwb deploy … --name ${task.deployment}) to bring it back.`,
        );
      throw err;
    }
    // Cancelled while it was made: it goes, unstarted.
    if (gaveUp.signal.aborted) throw gaveUp.signal.reason;
    const made = container;
    heard();
    stream = (await bounded(
      made.attach({ stream: true, stdout: true, stderr: true }),
    )) as NodeJS.ReadWriteStream;
    const attached = stream;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const ended = new Promise<void>((resolve, reject) => {
      const stdout = new PassThrough().on('data', (b: Buffer) => {
        heard();
        size += b.length;
        if (size <= opts.maxBytes) out.push(b);
        else
          stop(
            new WorkbenchError(
              'INTERNAL',
              `The request log reader of ${task.deployment} printed more than it may (${opts.maxBytes} bytes). Check again; if it keeps failing, report it with the engine's version (docker version).`,
            ),
          );
      });
      const stderr = new PassThrough().on('data', (b: Buffer) => {
        heard();
        if (err.length < 64) err.push(b);
      });
      made.modem.demuxStream(attached, stdout, stderr);
      attached.on('end', resolve).on('close', resolve).on('error', reject);
    });
    heard();
    await bounded(Promise.all([made.start(), ended]));
    if (gaveUp.signal.aborted) throw gaveUp.signal.reason;
    return { out: Buffer.concat(out), err: Buffer.concat(err).toString('utf8').trim().slice(-500) };
  } catch (e) {
    const error = signal?.aborted ? cancelled() : e instanceof WorkbenchError ? e : engineError(e);
    stop(error);
    throw error;
  } finally {
    clearTimeout(silence);
    signal?.removeEventListener('abort', onAbort);
  }
}
