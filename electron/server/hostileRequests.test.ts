/**
 * Requests a careless or hostile client sends to the browser-mode server: each gets a clear 4xx,
 * nothing half-made is kept, and the server keeps answering.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { testServer } from './testing/testServer.ts';

const app = testServer();

/** Raw bytes on a socket, for requests fetch will not send; resolves with the whole reply. */
function raw(request: string, body?: Buffer, endEarly = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(app.server.port, '127.0.0.1', () => {
      socket.write(request);
      if (body) socket.write(body);
      if (endEarly) socket.end();
    });
    let reply = '';
    socket.on('data', (d) => {
      reply += d;
    });
    socket.on('end', () => resolve(reply));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

async function stillAnswers() {
  const r = await fetch(`${app.base}/api/invoke/datasets.list`, {
    method: 'POST',
    headers: { ...app.auth(), 'Content-Type': 'application/json' },
    body: '{}',
  });
  expect(r.status).toBe(200);
}

async function mlflow(path: string, body: unknown) {
  const r = await fetch(`${app.base}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { ...app.auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as { error_code?: string; message?: string } };
}

describe('hostile and careless requests', () => {
  it('matches experiment LIKE filters in linear time', async () => {
    for (let i = 0; i < 3; i++) await mlflow('experiments/create', { name: `${'a'.repeat(40)}-${i}` });
    const started = Date.now();
    const r = await mlflow('experiments/search', {
      max_results: 10,
      filter: `name LIKE '${'%a'.repeat(24)}%ab'`,
    });
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    const hit = await mlflow('experiments/search', { max_results: 10, filter: "name LIKE 'a%-1'" });
    expect((hit.body as { experiments: unknown[] }).experiments).toHaveLength(1);
  });

  it('answers 400 to malformed % escapes in a path', async () => {
    const r = await fetch(`${app.base}/api/invoke/datasets.%E0%A4%A`, {
      method: 'POST',
      headers: { ...app.auth(), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(400);
    const art = await fetch(`${app.base}/api/runs/%ZZ/artifacts/x`, { headers: app.auth() });
    expect(art.status).toBe(400);
    await stillAnswers();
  });

  it('refuses a NUL in an upload path with 400', async () => {
    const session = (await (
      await fetch(`${app.base}/api/uploads`, { method: 'POST', headers: app.auth() })
    ).json()) as { result: { upload: string } };
    const r = await fetch(
      `${app.base}/api/uploads/${session.result.upload}?path=${encodeURIComponent('a\0b.txt')}`,
      {
        method: 'PUT',
        headers: app.auth(),
        body: 'x',
      },
    );
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/path/i);
  });

  it('keeps nothing of an upload cut short, and says so', async () => {
    const session = (await (
      await fetch(`${app.base}/api/uploads`, { method: 'POST', headers: app.auth() })
    ).json()) as { result: { upload: string } };
    const upload = session.result.upload;
    const head =
      `PUT /api/uploads/${upload}?path=cut.bin HTTP/1.1\r\nHost: 127.0.0.1:${app.server.port}\r\n` +
      `Authorization: Bearer ${app.server.token}\r\nContent-Length: 100000\r\n\r\n`;
    await raw(head, Buffer.alloc(40_000, 1), true);
    // The same path can be sent again in full: nothing was committed under it.
    const again = await fetch(`${app.base}/api/uploads/${upload}?path=cut.bin`, {
      method: 'PUT',
      headers: app.auth(),
      body: Buffer.alloc(100_000, 2),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { result: { size: number } }).result.size).toBe(100_000);
    await stillAnswers();
  });

  it('answers 400 to 40,000 experiment ids and to a 3,000-clause filter', async () => {
    const many = await mlflow('runs/search', {
      experiment_ids: Array.from({ length: 40_000 }, (_, i) => String(i)),
    });
    expect(many.status).toBe(400);
    expect(many.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const clauses = Array.from({ length: 3000 }, (_, i) => `metrics.m${i} > 0`).join(' and ');
    const long = await mlflow('runs/search', { experiment_ids: ['0'], filter: clauses });
    expect(long.status).toBe(400);
    expect(long.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    await stillAnswers();
  });

  it("applies MLflow's length limits to experiment and run names", async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const exp = await mlflow('experiments/create', { name: huge });
    expect(exp.status).toBe(400);
    expect(exp.body.message).toMatch(/at most 256/);
    const run = await mlflow('runs/create', { experiment_id: '0', run_name: huge });
    expect(run.status).toBe(400);
    expect(run.body.message).toMatch(/at most 250/);
    await stillAnswers();
  });

  it('redirects a token link only to a path on this server', async () => {
    const r = await raw(
      `GET /.//evil.example?token=${app.server.token} HTTP/1.1\r\nHost: 127.0.0.1:${app.server.port}\r\nConnection: close\r\n\r\n`,
    );
    const location = /\r\nlocation: ([^\r]*)/i.exec(r)?.[1];
    expect(location).toBeDefined();
    expect(location!.startsWith('/')).toBe(true);
    expect(location!.startsWith('//')).toBe(false);
    expect(location!.startsWith('/\\')).toBe(false);
  });
});
