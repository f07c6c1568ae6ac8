/**
 * A request to a deployment's model server on the user's behalf (the try-it form): over plain HTTP
 * to its URL when the engine is on this machine; from inside its live model container when the
 * engine is another machine's, whose ports may not be reachable from here. Answers are bounded.
 */
import type Docker from 'dockerode';
import { invalidInput, WorkbenchError } from '../errors.ts';
import { slotOf } from './deployContainers.ts';
import { execIn } from './netFront.ts';
import type { HttpAnswer } from './runtime.ts';

/** How much of an answer is returned. */
const MAX_ANSWER_BYTES = 1024 ** 2;
/** A body passed to a remote engine's container in an environment variable (at most 128 KiB there). */
const MAX_REMOTE_BODY = 96 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export interface RequestInit {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  contentType?: string;
}

export async function requestLocal(url: string, init: RequestInit): Promise<HttpAnswer> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}${init.path}`, {
      method: init.method,
      body: init.method === 'POST' ? (init.body ?? '') : undefined,
      headers: init.contentType ? { 'content-type': init.contentType } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new WorkbenchError(
      'IO',
      `The deployment does not answer at ${url} (${cause}). Check its status and logs; start it if it is stopped.`,
    );
  }
  const body = await readBounded(res);
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body,
    latencyMs: performance.now() - started,
  };
}

/**
 * On a remote engine the port is on another machine: the request is made from inside the live
 * model container (the image has node and its fetch), to its own slot.
 */
export async function requestInContainer(
  docker: Docker,
  live: Docker.ContainerInfo,
  init: RequestInit,
): Promise<HttpAnswer> {
  if ((init.body?.length ?? 0) > MAX_REMOTE_BODY)
    throw invalidInput(
      `A request sent through a remote engine holds at most ${MAX_REMOTE_BODY / 1024} KiB; send larger ones to the deployment's URL directly.`,
    );
  const request = JSON.stringify({
    ...init,
    port: slotOf(live),
    max: MAX_ANSWER_BYTES,
    timeout: REQUEST_TIMEOUT_MS,
  });
  const script = `const r=JSON.parse(process.env.MLWB_REQUEST);const t=performance.now();
fetch("http://127.0.0.1:"+r.port+r.path,{method:r.method,body:r.method==="POST"?(r.body??""):undefined,headers:r.contentType?{"content-type":r.contentType}:{},signal:AbortSignal.timeout(r.timeout)})
.then(async(res)=>{const b=Buffer.from(await res.arrayBuffer()).subarray(0,r.max).toString("utf8");process.stdout.write(JSON.stringify({status:res.status,headers:Object.fromEntries(res.headers),body:b,latencyMs:performance.now()-t}))},
(e)=>{process.stderr.write(String(e&&e.cause&&e.cause.code||e));process.exit(3)})`;
  const r = await execIn(
    docker,
    docker.getContainer(live.Id),
    ['node', '-e', script],
    [`MLWB_REQUEST=${request}`],
  );
  if (r.exitCode !== 0)
    throw new WorkbenchError(
      'IO',
      `The deployment's model server does not answer inside its container (${r.stderr.trim() || `exit ${r.exitCode}`}). Check its status and logs.`,
    );
  return JSON.parse(r.stdout) as HttpAnswer;
}

/** A URL's host part: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The answer's body, cut at MAX_ANSWER_BYTES. */
async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  while (size < MAX_ANSWER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}
