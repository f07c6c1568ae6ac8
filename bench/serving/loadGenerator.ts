/**
 * A small closed-loop HTTP load generator (wrk's model: N keep-alive connections, each sending its
 * next request as soon as the previous answer arrives), on raw sockets so the generator's own cost
 * stays small next to the servers it measures. Responses must carry a Content-Length.
 */
import net from 'node:net';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function generateLoad(opts: {
  host: string;
  port: number;
  path: string;
  body: string;
  connections: number;
  seconds: number;
}): Promise<LoadResult> {
  const request = Buffer.from(
    `POST ${opts.path} HTTP/1.1\r\nHost: ${opts.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(opts.body)}\r\n\r\n${opts.body}`,
  );
  const latencies: number[] = [];
  let errors = 0;
  let stopping = false;
  const started = performance.now();
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(opts.port, opts.host);
      socket.setNoDelay(true);
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const send = () => {
        sentAt = performance.now();
        socket.write(request);
      };
      socket.on('connect', send);
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!m) return reject(new Error(`an answer without Content-Length: ${head}`));
          const total = end + 4 + Number(m[1]);
          if (buf.length < total) return;
          latencies.push(performance.now() - sentAt);
          if (!head.startsWith('HTTP/1.1 200')) errors++;
          buf = buf.subarray(total);
          if (stopping) {
            socket.end();
            return;
          }
          send();
        }
      });
    });
  const timer = setTimeout(() => {
    stopping = true;
  }, opts.seconds * 1000);
  await Promise.all(Array.from({ length: opts.connections }, one));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
  };
}
