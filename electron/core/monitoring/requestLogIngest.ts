/**
 * Takes a deployment's request log into the store: the JSON lines its servers write under
 * `<home>/deployments/NAME/requests/g<N>[-r<S>]/requests[.K].jsonl` (resources/serving/requestLog.ts;
 * `-r<S>` for each replica of a Swarm service),
 * read from where the last read stopped. A rotation renames a file, so a file is known by its
 * generation folder and inode, with its first bytes to tell a new file that was given a freed
 * inode. Only whole lines are taken: a line still being written is read next time. Lines that are
 * not a request's line (a damaged file) are counted and skipped, never fatal. A log on another
 * machine's engine is read through the engine (remoteRequestLog.ts) and taken in the same way
 * (ingestRead).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { GENERATION, HEAD_BYTES, LOG_FILE } from '../deploy/deploymentSpec.ts';
import type { RemoteRead } from '../deploy/remoteRequestLog.ts';
import { type Db, writeTransaction } from '../store/database.ts';

/**
 * Read at most this much of a file at once, so a large backlog is taken in bounded steps (each
 * step's parse and insert run on the calling thread: 1 MiB is about 30 ms here).
 */
const CHUNK_BYTES = 1024 * 1024;

export interface IngestResult {
  /** Requests taken into the store. */
  added: number;
  /** Lines that could not be read as a request (counted, skipped). */
  skipped: number;
}

/** The fields of a request log line the store keeps (resources/serving/logLine.ts). */
interface LogLine {
  id: string;
  time: string;
  version: number;
  endpoint: string;
  status: number;
  latencyMs: number;
  features: Record<string, unknown[]> | null;
  outputs: Record<string, unknown[]> | null;
  error?: string;
}

function asLogLine(text: string): LogLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const l = v as Partial<LogLine>;
  if (
    typeof l.id !== 'string' ||
    typeof l.time !== 'string' ||
    !Number.isInteger(l.version) ||
    typeof l.endpoint !== 'string' ||
    !Number.isInteger(l.status) ||
    typeof l.latencyMs !== 'number' ||
    Number.isNaN(Date.parse(l.time))
  )
    return undefined;
  return l as LogLine;
}

/** Rows a request scored: the length of its first feature column (else of its first output). */
function rowsOf(l: LogLine): number {
  const first = (o: Record<string, unknown[]> | null) => {
    if (!o) return undefined;
    for (const k in o) {
      const col = o[k];
      return Array.isArray(col) ? col.length : undefined;
    }
    return undefined;
  };
  return first(l.features) ?? first(l.outputs) ?? 0;
}

interface FileState {
  head: string;
  offset: number;
}

/** A remote log is read at most this many times per look (READ_BUDGET_BYTES each). */
const MAX_READ_ROUNDS = 32;
/** A read's budget grows at most to this many times its size, for one very long line. */
const MAX_SCALE = 16;

/**
 * Where to go on reading a file of `size` bytes starting with `head`: where the store left it, or
 * from its start when it is another file under a reused inode, or one cut short.
 */
function resumeAt(known: FileState | undefined, size: number, head: string): number {
  return known && known.offset <= size && head.startsWith(known.head.slice(0, head.length))
    ? known.offset
    : 0;
}

export class RequestLogIngest {
  constructor(private readonly db: Db) {}

  /** Takes what the deployment's log files gained since the last call. */
  async ingest(deploymentId: string, dir: string, signal?: AbortSignal): Promise<IngestResult> {
    const result: IngestResult = { added: 0, skipped: 0 };
    let generations: string[];
    try {
      generations = (await fs.readdir(dir)).filter((g) => GENERATION.test(g));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
      throw err;
    }
    for (const g of generations) {
      let files: string[];
      try {
        files = (await fs.readdir(path.join(dir, g))).filter((f) => LOG_FILE.test(f));
      } catch {
        continue;
      }
      // Oldest first (requests.4.jsonl … requests.jsonl), so requests go in roughly in order.
      files.sort((a, b) => Number(LOG_FILE.exec(b)![1] ?? 0) - Number(LOG_FILE.exec(a)![1] ?? 0));
      for (const f of files) {
        signal?.throwIfAborted();
        await this.readFile(deploymentId, g, path.join(dir, g, f), result, signal);
      }
    }
    return result;
  }

  /**
   * Takes what a log read elsewhere gained (a remote engine's volume: remoteRequestLog.ts). `read`
   * is told where the store has read each file to, and answers with the files' bytes from there;
   * it is asked again while it has more, or when a file turned out to be another under a reused
   * inode (then read from its start).
   */
  async ingestRead(
    deploymentId: string,
    read: (known: Record<string, number>, scale: number) => Promise<RemoteRead>,
    signal?: AbortSignal,
  ): Promise<IngestResult> {
    const result: IngestResult = { added: 0, skipped: 0 };
    let override = new Map<string, number>();
    // A read carries at most its budget: one line longer than that is read with a larger one.
    let scale = 1;
    for (let round = 0; round < MAX_READ_ROUNDS; round++) {
      signal?.throwIfAborted();
      const known = this.states(deploymentId);
      const ask: Record<string, number> = {};
      for (const [key, s] of known) if (s.offset > 0) ask[key] = s.offset;
      for (const [key, from] of override) ask[key] = from;
      const { parts, more, complete } = await read(ask, scale);
      override = new Map();
      let took = 0;
      // Bytes with no newline at all: a line longer than the read (or one still being written).
      let longLine = false;
      for (const p of parts) {
        const was = known.get(p.key);
        const from = resumeAt(was, p.size, p.head);
        if (p.from !== from) {
          override.set(p.key, from);
          continue;
        }
        if (p.bytes.length && p.bytes.indexOf(10) < 0) longLine = true;
        took += this.takeBytes(deploymentId, p.key, p.head, p.bytes, from, was?.offset, result);
      }
      // Files rotated out of the volume are forgotten, so what is asked stays as small as the log.
      if (complete) this.forgetGone(deploymentId, known, new Set(parts.map((p) => p.key)));
      if (more && longLine && took === 0 && !override.size && scale < MAX_SCALE) {
        scale *= 4;
        continue;
      }
      // Nothing more, or nothing taken (another reader ahead): done.
      if (!override.size && (!more || took === 0)) break;
      scale = 1;
    }
    return result;
  }

  /** Forgets what was read of the files a complete listing no longer has. */
  private forgetGone(deploymentId: string, known: Map<string, FileState>, listed: Set<string>): void {
    const gone = [...known.keys()].filter((k) => !listed.has(k));
    if (!gone.length) return;
    const forget = this.db.prepare('DELETE FROM request_log_files WHERE deployment_id = ? AND file_key = ?');
    writeTransaction(this.db, () => {
      for (const key of gone) forget.run(deploymentId, key);
    });
  }

  /**
   * Takes the whole lines of `bytes` (a file's from `from`), a chunk at a time, each only if the
   * store still says the file was read to `stored`. Returns the bytes taken.
   */
  private takeBytes(
    deploymentId: string,
    key: string,
    head: string,
    bytes: Buffer,
    from: number,
    stored: number | undefined,
    result: IngestResult,
  ): number {
    let at = 0;
    let was = stored;
    while (at < bytes.length) {
      let end = bytes.lastIndexOf(10, Math.min(at + CHUNK_BYTES, bytes.length) - 1);
      // A line longer than a chunk goes in whole; one with no newline yet is read next time.
      if (end < at) end = bytes.indexOf(10, at);
      if (end < 0) break;
      end += 1;
      const lines = bytes.toString('utf8', at, end).split('\n');
      lines.pop();
      if (!this.take(deploymentId, key, head, lines, was, from + end, result)) break;
      at = end;
      was = from + end;
    }
    return at;
  }

  private states(deploymentId: string): Map<string, FileState> {
    const rows = this.db
      .prepare('SELECT file_key, head, offset FROM request_log_files WHERE deployment_id = ?')
      .all(deploymentId) as (FileState & { file_key: string })[];
    return new Map(rows.map((r) => [r.file_key, { head: r.head, offset: r.offset }]));
  }

  private state(deploymentId: string, key: string): FileState | undefined {
    return this.db
      .prepare('SELECT head, offset FROM request_log_files WHERE deployment_id = ? AND file_key = ?')
      .get(deploymentId, key) as FileState | undefined;
  }

  private async readFile(
    deploymentId: string,
    generation: string,
    file: string,
    result: IngestResult,
    signal?: AbortSignal,
  ): Promise<void> {
    // A file read to its end is not opened again (every look at a deployment reads all its
    // generations' files, and the finished ones pile up with each replacement). One that took a
    // freed inode and is exactly as long as the old one was read is caught once it grows.
    const seen = await fs.stat(file).catch(() => undefined);
    if (!seen) return;
    if (this.state(deploymentId, `${generation}/${seen.ino}`)?.offset === seen.size) return;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch {
      return; // rotated away or removed since it was listed: its lines are read under its new name
    }
    try {
      const st = await handle.stat();
      const key = `${generation}/${st.ino}`;
      const headBuf = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
      await handle.read(headBuf, 0, headBuf.length, 0);
      const head = headBuf.toString('latin1');
      const known = this.state(deploymentId, key);
      let offset = resumeAt(known, st.size, head);
      // What the store says of this file: it must still say so when lines are taken.
      let stored = known?.offset;
      while (offset < st.size) {
        signal?.throwIfAborted();
        const want = Math.min(CHUNK_BYTES, st.size - offset);
        const buf = Buffer.alloc(want);
        const { bytesRead } = await handle.read(buf, 0, want, offset);
        let end = buf.lastIndexOf(10, bytesRead - 1);
        if (end < 0) {
          // A line longer than a chunk: read on until its newline, or leave it for next time.
          if (want < CHUNK_BYTES) break;
          const whole = await this.longLine(handle, offset, st.size);
          if (whole === undefined) break;
          if (!this.take(deploymentId, key, head, [whole.text], stored, offset + whole.bytes, result)) break;
          offset += whole.bytes;
          stored = offset;
          continue;
        }
        end += 1;
        const lines = buf.toString('utf8', 0, end).split('\n');
        lines.pop();
        if (!this.take(deploymentId, key, head, lines, stored, offset + end, result)) break;
        offset += end;
        stored = offset;
      }
    } finally {
      await handle.close();
    }
  }

  /** A line that starts at `offset` and is longer than a chunk, with its length in bytes. */
  private async longLine(
    handle: fs.FileHandle,
    offset: number,
    size: number,
  ): Promise<{ text: string; bytes: number } | undefined> {
    const parts: Buffer[] = [];
    let at = offset;
    while (at < size) {
      const buf = Buffer.alloc(Math.min(CHUNK_BYTES, size - at));
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      const nl = buf.subarray(0, bytesRead).indexOf(10);
      if (nl >= 0) {
        parts.push(buf.subarray(0, nl));
        const text = Buffer.concat(parts).toString('utf8');
        return { text, bytes: at - offset + nl + 1 };
      }
      parts.push(buf.subarray(0, bytesRead));
      at += bytesRead;
      if (bytesRead === 0) break;
    }
    return undefined;
  }

  /**
   * Stores a batch of lines and where the file has been read to, in one transaction — unless
   * another process (the app and a CLI both reading) took these lines meanwhile: then false.
   */
  private take(
    deploymentId: string,
    key: string,
    head: string,
    lines: string[],
    stored: number | undefined,
    to: number,
    result: IngestResult,
  ): boolean {
    const insert = this.db.prepare(
      `INSERT INTO requests (deployment_id, request_id, at, version, endpoint, status, latency_ms, rows, features, outputs, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const save = this.db.prepare(
      `INSERT INTO request_log_files (deployment_id, file_key, head, offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (deployment_id, file_key) DO UPDATE SET head = excluded.head, offset = excluded.offset`,
    );
    return writeTransaction(this.db, () => {
      if (this.state(deploymentId, key)?.offset !== stored) return false;
      for (const text of lines) {
        if (!text.trim()) continue;
        const l = asLogLine(text);
        if (!l) {
          result.skipped++;
          continue;
        }
        insert.run(
          deploymentId,
          l.id,
          Date.parse(l.time),
          l.version,
          l.endpoint,
          l.status,
          l.latencyMs,
          rowsOf(l),
          l.features ? JSON.stringify(l.features) : null,
          l.outputs ? JSON.stringify(l.outputs) : null,
          l.error ?? null,
        );
        result.added++;
      }
      save.run(deploymentId, key, head, to);
      return true;
    });
  }
}
