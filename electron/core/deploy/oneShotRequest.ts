/**
 * One HTTP request to a deployment, on a connection of its own: a kept-alive socket would stay
 * with the replica that answered first through the swarm front (which balances connections, not
 * requests) and fail when that replica is replaced. The answer is bounded.
 */
import http from 'node:http';
import type { HttpAnswer } from './runtime.ts';

const REQUEST_TIMEOUT_MS = 30_000;
/** How much of an answer is returned (as container mode's). */
const MAX_ANSWER_BYTES = 1024 ** 2;

export function oneShotRequest(
  target: URL,
  init: { method: 'GET' | 'POST'; body?: string; contentType?: string },
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      target,
      {
        method: init.method,
        agent: false,
        timeout: timeoutMs,
        headers: init.body !== undefined ? { 'content-type': init.contentType ?? 'application/json' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('error', reject);
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = String(v);
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
            latencyMs: performance.now() - t0,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}
