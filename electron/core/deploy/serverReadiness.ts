/**
 * Whether a model container's server became ready, read from what the server says: it prints one
 * JSON line `{"time", "message": "ready: …"}` on stdout once its model is loaded and warmed up, and
 * exits 1 when the model cannot load (resources/serving/server.ts). Following its log is immediate
 * (no polling interval) and needs no port reachable from here, so it works on remote engines too.
 */
import { PassThrough } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { DeploymentLogs } from '../../../shared/deployments.ts';
import { cancelled } from '../errors.ts';
import { engineError } from '../training/containerRun.ts';

type Line = DeploymentLogs['lines'][number];

/** How many of the server's last lines a failure shows. */
export const LAST_LINES = 20;

/** Whether `text` is the server's ready line. */
export function isReadyLine(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return typeof m === 'string' && m.startsWith('ready:');
  } catch {
    return false;
  }
}

/**
 * Lines from the engine's multiplexed log format (a container without a TTY): frames of an 8-byte
 * header (stream, 3 zero bytes, big-endian length) and their payload.
 */
export function demuxLines(buf: Buffer): Line[] {
  let at = 0;
  const lines: Line[] = [];
  const rest = { stdout: '', stderr: '' };
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    const stream = buf[at] === 2 ? 'stderr' : 'stdout';
    const parts = (rest[stream] + buf.subarray(at + 8, at + 8 + size).toString('utf8')).split('\n');
    rest[stream] = parts.pop() ?? '';
    for (const p of parts) lines.push({ stream, text: p });
    at += 8 + size;
  }
  for (const stream of ['stdout', 'stderr'] as const)
    if (rest[stream]) lines.push({ stream, text: rest[stream] });
  return lines;
}

/** The container's last `n` log lines, in order. */
export async function lastLines(container: Docker.Container, n: number): Promise<Line[]> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: n, follow: false })) as Buffer;
    return demuxLines(buf).slice(-n);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw engineError(err);
  }
}

/** A duration for people: `30 s`, `0.2 s`. */
export const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

export const lineTexts = (lines: Line[]) => lines.map((l) => l.text);

/** Why a server did not become ready, and its last lines. */
export class NotReady extends Error {
  constructor(
    readonly reason: string,
    readonly lines: string[],
  ) {
    super(lines.length ? `${reason}\nIts last log lines:\n${lines.join('\n')}` : reason);
  }
}

/**
 * Resolves once the container's server prints its ready line (since `sinceSeconds`, so a line from
 * an earlier run of the same container does not count); throws NotReady when the container exits
 * first or `timeoutMs` passes, and a CANCELLED error when `signal` aborts.
 */
export async function waitForReady(
  docker: Docker,
  container: Docker.Container,
  opts: { timeoutMs: number; signal: AbortSignal; sinceSeconds?: number },
): Promise<void> {
  if (opts.signal.aborted) throw cancelled();
  let raw: NodeJS.ReadableStream & { destroy(): void };
  try {
    raw = (await container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      ...(opts.sinceSeconds ? { since: opts.sinceSeconds } : {}),
    })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  } catch (err) {
    throw engineError(err);
  }
  const seen: string[] = [];
  // Ends the wait request too: it would otherwise hold a connection to the engine for as long as
  // the container runs.
  const waiting = new AbortController();
  const cleanups: (() => void)[] = [() => raw.destroy(), () => waiting.abort()];
  try {
    await new Promise<void>((resolve, reject) => {
      const splitter = (onLine: (text: string) => void) => {
        const pass = new PassThrough();
        const decoder = new StringDecoder('utf8');
        let rest = '';
        pass.on('data', (chunk: Buffer) => {
          const parts = (rest + decoder.write(chunk)).split('\n');
          rest = parts.pop() ?? '';
          for (const p of parts) onLine(p);
        });
        return pass;
      };
      const keep = (text: string) => {
        seen.push(text);
        if (seen.length > LAST_LINES) seen.shift();
      };
      docker.modem.demuxStream(
        raw,
        splitter((text) => {
          keep(text);
          if (isReadyLine(text)) resolve();
        }),
        splitter(keep),
      );
      // The log of an exited container ends; its exit is reported by wait() below, with the code.
      container.wait({ abortSignal: waiting.signal }).then(
        async (r: { StatusCode: number }) => {
          // The last lines may still be in the log stream: read them from the engine instead.
          const lines = lineTexts(await lastLines(container, LAST_LINES).catch(() => []));
          const info = await container.inspect().catch(() => undefined);
          const oom = info?.State.OOMKilled ? ', out of memory' : '';
          reject(
            new NotReady(
              `The model server exited with code ${r.StatusCode}${oom} before it was ready.`,
              lines.length ? lines : [...seen],
            ),
          );
        },
        (err: unknown) => {
          if (!waiting.signal.aborted) reject(engineError(err));
        },
      );
      const timer = setTimeout(
        () =>
          reject(
            new NotReady(`The model server was not ready within ${seconds(opts.timeoutMs)}.`, [...seen]),
          ),
        opts.timeoutMs,
      );
      cleanups.push(() => clearTimeout(timer));
      const abort = () => reject(cancelled('Waiting for the model server was cancelled.'));
      opts.signal.addEventListener('abort', abort);
      cleanups.push(() => opts.signal.removeEventListener('abort', abort));
    });
  } finally {
    for (const c of cleanups) c();
  }
}
