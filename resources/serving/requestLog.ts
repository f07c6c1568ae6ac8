/**
 * The request log: one JSON line per inference request in a mounted folder, which monitoring reads
 * next. Lines are queued and written in batches off the request path; the folder holds at most
 * `files` files of about `maxBytes` each — `requests.jsonl` is the newest, `requests.1.jsonl` the
 * one before, and so on — so a long-running deployment never fills its disk. When the disk cannot
 * keep up, lines past a bounded queue are dropped and counted rather than held in memory.
 */
import fs from 'node:fs';
import path from 'node:path';

const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Lines are gathered this long before a write: one write per batch keeps logging off the hot path. */
const BATCH_MS = 25;

/**
 * Milliseconds on the machine's monotonic clock, which every process reads alike: what orders the
 * lines of several server processes (cluster.ts). performance.timeOrigin comes from the wall clock
 * to the millisecond, too coarse for that.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Where a server process's log lines go: a RequestLog, or the primary process's (cluster.ts). */
export interface LogSink {
  /**
   * One line (JSON text ending in a newline, as LogLineFormat makes it) of a request answered at
   * `answeredAt` (monotonicMs, taken before the answer was sent).
   */
  write(text: string, answeredAt: number): void;
  /** Resolves once every line given is written (or handed on). */
  flush(): Promise<void>;
  /** Lines dropped because the writer could not keep up. */
  readonly dropped: number;
}

export class RequestLog implements LogSink {
  private queue: string[] = [];
  private queuedBytes = 0;
  private size: number;
  private writing: Promise<void> | undefined;
  private file: fs.promises.FileHandle | undefined;
  private closing = false;
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

  /** Queues one line (JSON text ending in a newline, as LogLineFormat makes it). */
  write(text: string): void {
    if (this.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      this.dropped++;
      return;
    }
    this.queue.push(text);
    this.queuedBytes += text.length;
    this.schedule();
  }

  /** One write per batch period at most, however fast lines come. */
  private schedule(): void {
    this.writing ??= new Promise<void>((resolve) => setTimeout(resolve, this.closing ? 0 : BATCH_MS)).then(
      () => this.drain(),
    );
  }

  /** Resolves once every queued line is written, and closes the file. */
  async flush(): Promise<void> {
    this.closing = true;
    while (this.writing || this.queue.length) {
      this.schedule();
      await this.writing;
    }
    await this.file?.close();
    this.file = undefined;
  }

  private async append(text: string): Promise<void> {
    this.file ??= await fs.promises.open(this.fileAt(0), 'a');
    await this.file.write(text);
  }

  private async drain(): Promise<void> {
    try {
      const batch = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      let chunk = '';
      for (const text of batch) {
        // A line goes to the next file when this one would pass the bound (a file holds at
        // least one line, however long).
        if ((this.size > 0 || chunk) && this.size + chunk.length + text.length > this.maxBytes) {
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
    } catch (err) {
      // The folder went away or filled up: say so once per batch and keep serving.
      process.stderr.write(`request log: ${(err as Error).message}\n`);
      await this.file?.close().catch(() => undefined);
      this.file = undefined;
    } finally {
      this.writing = undefined;
      if (this.queue.length) this.schedule();
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
