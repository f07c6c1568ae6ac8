/**
 * The request log: one JSON line per inference request in a mounted folder, which monitoring reads
 * next. Lines are queued and written in batches off the request path; the folder holds at most
 * `files` files of about `maxBytes` each — `requests.jsonl` is the newest, `requests.1.jsonl` the
 * one before, and so on — so a long-running deployment never fills its disk. When the disk cannot
 * keep up, lines past a bounded queue are dropped and counted rather than held in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toJsonValues, toRows } from './tensors.ts';

export interface RequestLogLine {
  id: string;
  time: string;
  model: string;
  version: number;
  endpoint: 'infer' | 'invocations';
  /** Named features, column-wise: `{feature: [value per row]}`; null when the request was refused. */
  features: Record<string, unknown[]> | null;
  /** Outputs by name, row-wise; null when the request was refused. */
  outputs: Record<string, unknown[]> | null;
  latencyMs: number;
  status: number;
  error?: string;
}

const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Lines are gathered this long before a write: one write per batch keeps logging off the hot path. */
const BATCH_MS = 25;

export class RequestLog {
  private queue: string[] = [];
  private queuedBytes = 0;
  private size: number;
  private writing: Promise<void> | undefined;
  private file: fs.promises.FileHandle | undefined;
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly files: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.size = fs.statSync(this.fileAt(0), { throwIfNoEntry: false })?.size ?? 0;
  }

  fileAt(i: number): string {
    return path.join(this.dir, i === 0 ? 'requests.jsonl' : `requests.${i}.jsonl`);
  }

  write(line: RequestLogLine): void {
    const text = `${JSON.stringify(line)}\n`;
    if (this.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      this.dropped++;
      return;
    }
    this.queue.push(text);
    this.queuedBytes += text.length;
    this.writing ??= new Promise<void>((resolve) => setTimeout(resolve, BATCH_MS)).then(() => this.drain());
  }

  /** Resolves once every queued line is written, and closes the file. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    await this.file?.close();
    this.file = undefined;
  }

  private async append(text: string): Promise<void> {
    this.file ??= await fs.promises.open(this.fileAt(0), 'a');
    await this.file.write(text);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        let chunk = '';
        for (const text of batch) {
          // A line goes to the next file when this one would pass the bound (a file holds at
          // least one line, however long).
          if (this.size > 0 && this.size + chunk.length + text.length > this.maxBytes) {
            if (chunk) await this.append(chunk);
            chunk = '';
            await this.rotate();
          }
          chunk += text;
        }
        if (chunk) {
          await this.append(chunk);
          this.size += Buffer.byteLength(chunk);
        }
      }
    } catch (err) {
      // The folder went away or filled up: say so once per batch and keep serving.
      process.stderr.write(`request log: ${(err as Error).message}\n`);
      await this.file?.close().catch(() => undefined);
      this.file = undefined;
    } finally {
      this.writing = undefined;
      if (this.queue.length) this.writing = this.drain();
    }
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    await fs.promises.rm(this.fileAt(this.files - 1), { force: true });
    for (let i = this.files - 2; i >= 0; i--)
      await fs.promises.rename(this.fileAt(i), this.fileAt(i + 1)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    this.size = 0;
  }
}

/** The request's inputs by feature name, column-wise; an input without a feature spec by its own name. */
export function namedFeatures(
  features: Record<string, string[]>,
  feeds: ReadonlyMap<string, { data: unknown; shape: number[]; sent?: readonly unknown[] }>,
  typeOf: (input: string) => string,
): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, feed] of feeds) {
    let values: readonly unknown[];
    if (feed.sent) values = feed.sent;
    else {
      const type = typeOf(name);
      const converted = toJsonValues(feed.data, type);
      if (type === 'float32')
        for (let i = 0; i < converted.length; i++) converted[i] = shortestFloat32(converted[i]);
      values = converted;
    }
    const cols = features[name];
    const rows = feed.shape[0] ?? 1;
    if (!cols || rows * cols.length !== values.length) {
      out[name] = toRows(values as unknown[], feed.shape);
      continue;
    }
    const width = cols.length;
    cols.forEach((col, j) => {
      const column = new Array<unknown>(rows);
      for (let r = 0; r < rows; r++) column[r] = values[r * width + j];
      out[col] = column;
    });
  }
  return out;
}

/**
 * A float32 as the shortest decimal that reads back as the same float32: what the caller most
 * likely sent (5.1, not 5.099999904632568), for the monitoring that reads these lines.
 */
function shortestFloat32(v: unknown): unknown {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  for (let p = 1; p < 9; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}
