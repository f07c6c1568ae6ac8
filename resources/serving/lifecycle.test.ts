/**
 * The model server's life: readiness only once the model is loaded and warmed up, draining on
 * SIGTERM (a slow request in flight still gets its answer), refusing to start on a bad
 * configuration or model, and the request log's rotation.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  irisMeta,
  irisModel,
  post,
  type RunningServer,
  startServer,
  tempDir,
  waitReady,
} from './testServer.ts';

const row = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
let running: RunningServer | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

// Each as one server process and as several (cluster.ts), which must behave alike.
describe.each(['1', '2'])('readiness (MLWB_SERVER_WORKERS=%s)', (workers) => {
  it('is live at once but ready only after the model is loaded and warmed up', async () => {
    // The model arrives through a named pipe, so it is "loading" until the test writes it.
    const dir = tempDir();
    const fifo = path.join(dir, 'model.onnx');
    execFileSync('mkfifo', [fifo]);
    running = await startServer({ model: fifo, meta: irisMeta, dir, env: { MLWB_SERVER_WORKERS: workers } });
    const { url } = running;
    expect((await fetch(`${url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(400);
    expect((await fetch(`${url}/v2/models/iris/ready`)).status).toBe(400);
    expect((await fetch(`${url}/ping`)).status).toBe(503);
    expect((await fetch(`${url}/health`)).status).toBe(503);
    const early = await post(`${url}/v2/models/iris/infer`, row);
    expect(early.status).toBe(503);
    expect(early.json.error).toMatch(/still loading/);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^mlwb_model_ready 0$/m);

    await fs.promises.writeFile(fifo, fs.readFileSync(irisModel));
    await waitReady(url);
    expect(running.stdout()).toMatch(/ready: loaded in [\d.]+ s, warmed up in [\d.]+ s/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^mlwb_model_warmup_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    expect((await post(`${url}/v2/models/iris/infer`, row)).status).toBe(200);
  });

  it('refuses to start without its configuration, and exits when the model cannot be loaded', async () => {
    await expect(startServer({ model: irisModel, meta: { name: 'iris' } })).rejects.toThrow(
      /exited \(2\).*"version" must be the version number/,
    );
    const dir = tempDir();
    const broken = path.join(dir, 'broken.onnx');
    fs.writeFileSync(broken, 'not a model');
    running = await startServer({
      model: broken,
      meta: irisMeta,
      dir,
      env: { MLWB_SERVER_WORKERS: workers },
    });
    expect((await running.exited).code).toBe(1);
  });
});

describe.each(['1', '2'])('SIGTERM (MLWB_SERVER_WORKERS=%s)', (workers) => {
  it('stops accepting, finishes the slow request in flight, and exits within 10 s', async () => {
    running = await startServer({ model: irisModel, meta: irisMeta, env: { MLWB_SERVER_WORKERS: workers } });
    const { url, proc } = running;
    await waitReady(url);
    // An idle keep-alive connection must not hold the shutdown up.
    expect((await post(`${url}/v2/models/iris/infer`, row)).status).toBe(200);

    const body = JSON.stringify(row);
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
    });
    const answered = new Promise((r) => socket.once('close', r));
    socket.write(
      `POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 200));

    const termAt = Date.now();
    proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // New connections are refused while the slow request is still in flight. (A request on an idle
    // keep-alive connection would still be answered for a moment, told to close: a new socket it is.)
    await expect(
      new Promise((resolve, reject) => {
        const probe = net.connect(Number(new URL(url).port), '127.0.0.1');
        probe.once('connect', () => {
          probe.destroy();
          resolve('accepted');
        });
        probe.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    expect(proc.exitCode).toBeNull();

    socket.write(body.slice(10));
    await answered;
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toMatch(/Connection: close/i);
    expect(reply).toMatch(/"name":"label","shape":\[1\],"datatype":"INT64","data":\[0\]/);
    const { code } = await running.exited;
    expect(code).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(10_000);
    expect(running.stdout()).toMatch(/SIGTERM: draining 1 request/);
  });
});

describe('request log rotation', () => {
  it('keeps at most MLWB_LOG_FILES files of about MLWB_LOG_MAX_BYTES, newest first', async () => {
    const dir = tempDir();
    const logDir = path.join(dir, 'log');
    running = await startServer({
      model: irisModel,
      meta: irisMeta,
      dir,
      env: { MLWB_REQUEST_LOG_DIR: logDir, MLWB_LOG_MAX_BYTES: '1024', MLWB_LOG_FILES: '3' },
    });
    await waitReady(running.url);
    const n = 40;
    for (let i = 0; i < n; i++)
      expect((await post(`${running.url}/v2/models/iris/infer`, { id: `r${i}`, ...row })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.readdirSync(logDir).sort()).toEqual(['requests.1.jsonl', 'requests.2.jsonl', 'requests.jsonl']);
    const ids: string[] = [];
    for (const f of ['requests.2.jsonl', 'requests.1.jsonl', 'requests.jsonl']) {
      const text = fs.readFileSync(path.join(logDir, f), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
      ids.push(
        ...text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).id as string),
      );
    }
    // The newest lines, in order, with the oldest rotated away.
    expect(ids.length).toBeLessThan(n);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `r${n - ids.length + i}`));
  });
});
