import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testServer } from './testing/testServer.ts';

const app = testServer();

// biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field.
const json = (r: Response): Promise<any> => r.json();
const invoke = (method: string, params: unknown, headers: Record<string, string> = app.auth()) =>
  fetch(`${app.base}/api/invoke/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(params),
  });

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 and prints a tokened URL', () => {
    expect(app.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('rejects requests without the token, and sets a cookie from the URL token', async () => {
    expect((await invoke('datasets.list', {}, {})).status).toBe(401);
    expect((await invoke('datasets.list', {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const r = await fetch(`${app.base}/?token=${app.server.token}`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await invoke('datasets.list', {}, { Cookie: cookie.split(';')[0]! });
    expect(await json(withCookie)).toEqual({ result: [] });
  });

  it('rejects foreign Host headers (DNS rebinding) and foreign origins', async () => {
    const http = await import('node:http');
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: app.server.port,
            path: '/api/invoke/datasets.list',
            method: 'POST',
            headers,
          },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.end('{}');
      });
    expect(await status({ ...app.auth(), Host: 'evil.example:80' })).toBe(421);
    expect(
      await status({ ...app.auth(), Host: `127.0.0.1:${app.server.port}`, Origin: 'http://evil.example' }),
    ).toBe(403);
    expect(await status({ ...app.auth(), Host: `localhost:${app.server.port}` })).toBe(200);
  });

  it('never sends CORS headers, and sends a strict CSP', async () => {
    const r = await invoke('datasets.list', {}, { ...app.auth(), Origin: app.base });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });

  it('maps errors to codes and statuses, and limits bodies', async () => {
    const bad = await invoke('datasets.versions', { name: 'a/b' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('INVALID_INPUT');
    const missing = await invoke('datasets.versions', { name: 'nope' });
    expect(missing.status).toBe(404);
    const unknown = await invoke('no.such.method', {});
    expect(unknown.status).toBe(404);
    const huge = await fetch(`${app.base}/api/invoke/datasets.list`, {
      method: 'POST',
      headers: app.auth(),
      body: 'x'.repeat(5 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
  });

  it('ingests uploaded files as a version and streams progress and changes over the WebSocket', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: frames are checked field by field below.
    const frames: { topic: string; payload: any }[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${app.server.port}/api/events`, { headers: app.auth() });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('message', (m) => frames.push(JSON.parse(String(m))));

    const { result } = await json(
      await fetch(`${app.base}/api/uploads`, { method: 'POST', headers: app.auth() }),
    );
    for (const [rel, body] of [
      ['a.csv', 'x,y\n1,2\n'],
      ['sub/b.txt', 'hello'],
    ]) {
      const put = await fetch(`${app.base}/api/uploads/${result.upload}?path=${encodeURIComponent(rel!)}`, {
        method: 'PUT',
        headers: app.auth(),
        body,
      });
      expect(put.status).toBe(200);
    }
    const escaping = await fetch(
      `${app.base}/api/uploads/${result.upload}?path=${encodeURIComponent('../x')}`,
      {
        method: 'PUT',
        headers: app.auth(),
        body: 'x',
      },
    );
    expect(escaping.status).toBe(400);
    const started = await json(
      await invoke('datasets.add', { name: 'up', upload: result.upload, message: 'm' }),
    );
    expect(started.result.op).toBeTruthy();
    const deadline = Date.now() + 10_000;
    while (!frames.some((f) => f.topic === 'op.finished') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const finished = frames.find((f) => f.topic === 'op.finished')!;
    expect(finished.payload).toMatchObject({
      op: started.result.op,
      state: 'succeeded',
      result: { version: 1, files: 2 },
    });
    expect(frames.some((f) => f.topic === 'changed' && f.payload.entities.includes('datasets'))).toBe(true);
    ws.close();
    const shown = await json(await invoke('datasets.show', { name: 'up' }));
    expect(shown.result.entries.map((e: { path: string }) => e.path)).toEqual(['a.csv', 'sub/b.txt']);
  });

  it('drops a cancelled upload session, and sessions of servers that are gone', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { result } = await json(
      await fetch(`${app.base}/api/uploads`, { method: 'POST', headers: app.auth() }),
    );
    await fetch(`${app.base}/api/uploads/${result.upload}?path=a.txt`, {
      method: 'PUT',
      headers: app.auth(),
      body: 'partial',
    });
    const dir = path.join(app.wb.home, 'tmp', 'uploads', result.upload);
    expect(fs.existsSync(dir)).toBe(true);
    expect(
      (await fetch(`${app.base}/api/uploads/${result.upload}`, { method: 'DELETE', headers: app.auth() }))
        .status,
    ).toBe(200);
    expect(fs.existsSync(dir)).toBe(false);

    // A session whose server process no longer exists is removed by gc; a live one is kept.
    const dead = path.join(app.wb.home, 'tmp', 'uploads', '999999999-deadbeefdeadbeef');
    fs.mkdirSync(dead, { recursive: true });
    fs.writeFileSync(path.join(dead, 'x.bin'), Buffer.alloc(100));
    const live = (await json(await fetch(`${app.base}/api/uploads`, { method: 'POST', headers: app.auth() })))
      .result.upload;
    const gc = await json(await invoke('store.gc', {}));
    expect(gc.result.freedBytes).toBeGreaterThanOrEqual(100);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(path.join(app.wb.home, 'tmp', 'uploads', live))).toBe(true);
  });

  it('refuses WebSocket connections without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.server.port}/api/events`);
    const outcome = await new Promise((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });
});
