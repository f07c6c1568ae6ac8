/**
 * Serving from several processes (node:cluster), so that a container uses the CPUs it is given, as
 * gunicorn-based servers (MLServer, MLflow's) do with their workers. Each worker is a ModelServer
 * with its own onnxruntime session, sharing the port; the primary process serves no request but
 * keeps what must be one for the whole server:
 *
 * - the model file, read once and handed to every worker (it may sit on a slow mount);
 * - readiness: a worker reports ready only once the primary says every worker is warmed up;
 * - /metrics: the worker asked gets the sum of every worker's figures (the primary asks each for
 *   its counters at that moment; those of a worker that died are kept, so counters never go back);
 * - the request log: workers send their lines in batches and the primary alone writes the
 *   folder, so rotation stays one file sequence with no two writers; lines from different workers
 *   are put back in the order their requests were answered (`OrderedLines`);
 * - shutdown: SIGTERM drains every worker, and the server exits once they all have (9 s at most).
 *
 * A worker that dies after the server was ready is replaced; the new one loads the model before it
 * takes connections, so it never answers "not ready" among ready peers.
 */
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs/promises';
import { ModelServer } from './app.ts';
import type { ServerConfig } from './config.ts';
import { Metrics, type MetricsSnapshot } from './metrics.ts';
import { loadRuntime } from './model.ts';
import { type LogSink, monotonicMs, RequestLog } from './requestLog.ts';

/** Docker waits 10 s after SIGTERM before SIGKILL; leave a margin to exit on our own. */
export const GRACE_MS = 9_000;
/** How long /metrics waits for a busy worker's counters before using the ones it gave last. */
const SNAPSHOT_WAIT_MS = 1_000;
/** How often a worker sends its counters unasked. */
const SNAPSHOT_EVERY_MS = 1_000;
/** Log lines are gathered this long in a worker before they go to the primary in one message. */
const LOG_BATCH_MS = 25;
const MAX_QUEUED_LOG_BYTES = 8 * 1024 * 1024;
/**
 * How long the primary holds log lines before writing them in order: a worker's batch period and
 * a margin for the message to arrive. Lines arriving later than that are written as they come.
 */
const LOG_HOLD_MS = LOG_BATCH_MS + 75;

/** Set on a replacement worker: load the model first, then listen. */
const REPLACEMENT = 'MLWB_REPLACEMENT_WORKER';

type ToWorker =
  | { t: 'model'; bytes: Uint8Array }
  | { t: 'peers-ready' }
  | { t: 'drain'; signal: string }
  | { t: 'snapshot'; id: number }
  | { t: 'metrics-text'; id: number; text: string };

type ToPrimary =
  | { t: 'listening'; port: number }
  | { t: 'loaded'; loadSeconds: number; warmupSeconds: number }
  | { t: 'log'; lines: string[]; at: number[] }
  | { t: 'metrics'; id: number }
  | { t: 'snapshot'; id: number; snapshot: MetricsSnapshot };

type Say = (message: string) => void;

export function isWorker(): boolean {
  return cluster.isWorker;
}

/**
 * The primary's side of the request log: lines from every worker, held for LOG_HOLD_MS and
 * written ordered by when they were answered, so that the file reads as one server's would.
 */
class OrderedLines {
  private held: { at: number; line: string }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: RequestLog) {}

  add(lines: readonly string[], at: readonly number[]): void {
    for (let i = 0; i < lines.length; i++) this.held.push({ at: at[i]!, line: lines[i]! });
    this.timer ??= setTimeout(() => this.release(monotonicMs() - LOG_HOLD_MS), LOG_HOLD_MS);
  }

  /** Writes the lines answered up to `until` (all of them: Infinity), oldest first. */
  release(until: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held.sort((a, b) => a.at - b.at);
    let n = 0;
    while (n < this.held.length && this.held[n]!.at <= until) this.log.write(this.held[n++]!.line);
    this.held = this.held.slice(n);
    if (this.held.length)
      this.timer = setTimeout(() => this.release(monotonicMs() - LOG_HOLD_MS), LOG_BATCH_MS);
  }

  flush(): Promise<void> {
    this.release(Number.POSITIVE_INFINITY);
    return this.log.flush();
  }
}

export function runPrimary(config: ServerConfig, say: Say): void {
  // Structured clone over IPC: the model's bytes travel as binary, not as JSON numbers.
  cluster.setupPrimary({ serialization: 'advanced' });
  const log = config.requestLogDir
    ? new RequestLog(config.requestLogDir, config.logMaxBytes, config.logFiles)
    : undefined;
  const ordered = log && new OrderedLines(log);
  const loaded = new Map<number, { loadSeconds: number; warmupSeconds: number }>();
  const lastSnapshot = new Map<number, MetricsSnapshot>();
  /** The counters of workers that have exited. */
  const retired = new Metrics();
  let readSeconds = 0;
  let everReady = false;
  let stopping = false;
  let saidListening = false;
  let modelBytes: Promise<Uint8Array> | undefined;
  let snapshotRound = 0;

  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };
  const fail = (message: string) => {
    process.stderr.write(`mlwb model server: ${message}\n`);
    for (const w of workers()) w.process.kill('SIGKILL');
    process.exit(1);
  };
  const readModel = () => {
    const started = performance.now();
    return fs.readFile(config.modelPath).then(
      (b) => {
        readSeconds = (performance.now() - started) / 1000;
        return b;
      },
      (err: Error) => fail(`cannot load ${config.modelPath}: ${err.message}`) as never,
    );
  };
  // Read while the workers start, not once they listen: start → ready is a chain of waits.
  modelBytes = readModel();
  const giveModel = (w: Worker) => {
    modelBytes ??= readModel();
    modelBytes.then((bytes) => send(w, { t: 'model', bytes }));
  };

  const metricsText = async (): Promise<string> => {
    const id = ++snapshotRound;
    const live = workers().filter((w) => w.isConnected());
    const fresh = new Map<number, MetricsSnapshot>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, SNAPSHOT_WAIT_MS);
      function done() {
        clearTimeout(timer);
        cluster.off('message', onMessage);
        resolve();
      }
      function onMessage(w: Worker, m: ToPrimary) {
        if (m.t !== 'snapshot' || m.id !== id) return;
        fresh.set(w.id, m.snapshot);
        if (fresh.size === live.length) done();
      }
      cluster.on('message', onMessage);
      for (const w of live) send(w, { t: 'snapshot', id });
      if (live.length === 0) done();
    });
    const total = new Metrics();
    total.addCounts(retired.snapshot());
    total.workers = live.length;
    total.inFlight = 0;
    total.modelLoadSeconds = readSeconds;
    total.warmupSeconds = 0;
    let allReady = everReady && !stopping;
    for (const w of live) {
      const s = fresh.get(w.id) ?? lastSnapshot.get(w.id);
      if (!s) {
        allReady = false;
        continue;
      }
      lastSnapshot.set(w.id, s);
      total.addCounts(s);
      total.inFlight += s.inFlight;
      // The slowest worker's load and warm-up: the server was ready only once it was.
      total.modelLoadSeconds = Math.max(total.modelLoadSeconds, readSeconds + s.modelLoadSeconds);
      total.warmupSeconds = Math.max(total.warmupSeconds, s.warmupSeconds);
      allReady &&= s.ready;
    }
    if (!everReady) total.modelLoadSeconds = total.warmupSeconds = Number.NaN;
    total.ready = allReady;
    if (log) total.requestLogDropped += log.dropped;
    return total.render();
  };

  const fork = (replacement: boolean) => {
    const w = cluster.fork(replacement ? { [REPLACEMENT]: '1' } : {});
    w.on('message', (m: ToPrimary) => {
      switch (m.t) {
        case 'listening':
          if (!saidListening) {
            saidListening = true;
            say(
              `listening on ${config.host}:${m.port} with ${config.workers} workers; loading ${config.meta.name} version ${config.meta.version}`,
            );
          }
          if (!replacement) giveModel(w);
          return;
        case 'loaded':
          loaded.set(w.id, m);
          if (everReady) {
            send(w, { t: 'peers-ready' });
            return;
          }
          if (loaded.size < config.workers) return;
          everReady = true;
          modelBytes = undefined;
          {
            const slowest = [...loaded.values()].reduce((a, b) => (b.loadSeconds > a.loadSeconds ? b : a));
            say(
              `ready: loaded in ${(readSeconds + slowest.loadSeconds).toFixed(3)} s, warmed up in ${slowest.warmupSeconds.toFixed(3)} s (${config.workers} workers)`,
            );
          }
          for (const peer of workers()) send(peer, { t: 'peers-ready' });
          return;
        case 'log':
          ordered?.add(m.lines, m.at);
          return;
        case 'metrics':
          metricsText().then(
            (text) => send(w, { t: 'metrics-text', id: m.id, text }),
            (err: Error) =>
              send(w, { t: 'metrics-text', id: m.id, text: `# metrics failed: ${err.message}\n` }),
          );
          return;
        case 'snapshot':
          lastSnapshot.set(w.id, m.snapshot);
          return;
      }
    });
    if (replacement) giveModel(w);
    return w;
  };

  cluster.on('exit', (w, code, signal) => {
    const last = lastSnapshot.get(w.id);
    if (last) retired.addCounts(last);
    lastSnapshot.delete(w.id);
    loaded.delete(w.id);
    if (stopping) {
      finishWhenGone();
      return;
    }
    const how = signal ? `signal ${signal}` : `status ${code}`;
    // A worker that cannot load the model said why on stderr; the server as a whole fails to start.
    if (!everReady) fail(`a server process exited (${how}) before the model was ready`);
    say(`a server process exited (${how}); starting another`);
    fork(true);
  });

  // cluster.workers lets a worker go once it has exited AND its channel has closed: only then
  // has every log line it sent been read.
  cluster.on('disconnect', () => finishWhenGone());
  let finishing = false;
  const finishWhenGone = async () => {
    if (!stopping || finishing || workers().length > 0) return;
    finishing = true;
    await ordered?.flush();
    say('stopped');
    process.exit(0);
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: draining ${workers().length} server process(es)`);
    setTimeout(() => {
      say('grace period over: stopping the remaining server processes');
      for (const w of workers()) w.process.kill('SIGKILL');
      process.exit(1);
    }, GRACE_MS).unref();
    for (const w of workers()) send(w, { t: 'drain', signal });
    finishWhenGone();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < config.workers; i++) fork(false);
}

/** A worker's request log: lines go to the primary in one message per batch period. */
class ForwardedLog implements LogSink {
  private lines: string[] = [];
  private at: number[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  dropped = 0;

  write(text: string, answeredAt: number): void {
    if (this.bytes + text.length > MAX_QUEUED_LOG_BYTES) {
      this.dropped++;
      return;
    }
    this.lines.push(text);
    this.at.push(answeredAt);
    this.bytes += text.length;
    this.timer ??= setTimeout(() => this.send(), LOG_BATCH_MS);
  }

  private send(callback?: () => void): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { lines, at } = this;
    this.lines = [];
    this.at = [];
    this.bytes = 0;
    if (!process.connected) {
      this.dropped += lines.length;
      callback?.();
      return;
    }
    process.send!({ t: 'log', lines, at } satisfies ToPrimary, undefined, undefined, () => callback?.());
  }

  flush(): Promise<void> {
    return new Promise((resolve) => this.send(resolve));
  }
}

export async function runWorker(config: ServerConfig, say: Say): Promise<void> {
  const me = `worker ${cluster.worker!.id}`;
  // The native runtime loads while this worker starts listening and the model's bytes arrive; a
  // failure shows when the model loads.
  loadRuntime().catch(() => {});
  const toPrimary = (m: ToPrimary) => {
    if (process.connected) process.send!(m);
  };
  const asked = new Map<number, (text: string) => void>();
  let askSeq = 0;
  const app = new ModelServer(config, {
    log: config.requestLogDir ? new ForwardedLog() : undefined,
    metricsText: () =>
      new Promise((resolve) => {
        const id = ++askSeq;
        asked.set(id, resolve);
        toPrimary({ t: 'metrics', id });
      }),
    peersReady: process.env[REPLACEMENT] === '1',
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${me}: ${signal}: draining ${app.metrics.inFlight} request(s) in flight`);
    app.shutdown().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`mlwb model server: ${me}: shutdown failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  // A signal sent to the whole process group (Ctrl-C) reaches the workers too.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const load = async (bytes: Uint8Array) => {
    try {
      const { loadSeconds, warmupSeconds } = await app.load(bytes);
      if (process.env[REPLACEMENT] === '1') await app.listen();
      toPrimary({ t: 'loaded', loadSeconds, warmupSeconds });
    } catch (err) {
      process.stderr.write(`mlwb model server: cannot load ${config.modelPath}: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'model':
        load(m.bytes);
        return;
      case 'peers-ready':
        app.peersReady = true;
        return;
      case 'drain':
        stop(m.signal);
        return;
      case 'snapshot':
        app.syncMetrics();
        toPrimary({ t: 'snapshot', id: m.id, snapshot: app.metrics.snapshot() });
        return;
      case 'metrics-text':
        asked.get(m.id)?.(m.text);
        asked.delete(m.id);
        return;
    }
  });
  // The primary also keeps what each worker last said, so a worker that dies takes at most this
  // much of its counts with it.
  setInterval(() => {
    app.syncMetrics();
    toPrimary({ t: 'snapshot', id: 0, snapshot: app.metrics.snapshot() });
  }, SNAPSHOT_EVERY_MS).unref();
  if (process.env[REPLACEMENT] !== '1') toPrimary({ t: 'listening', port: await app.listen() });
}
